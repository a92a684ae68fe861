// The one implementation behind vector_math.hpp, a template on xsimd's architecture tag,
// included by the two translation units that instantiate it (vector_math.cpp for the
// baseline, vector_math_avx2.cpp compiled with -mavx2 -mfma where the compiler takes them).
// Everything here is in an anonymous namespace and uses only xsimd's arch-tagged batches, so
// no inline function compiled for AVX2 can be picked by the linker for the baseline build.
// Internal.
#pragma once
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>

namespace adjoint::kernels::vector_math
{
    namespace
    {
        // Applies `f` (batch -> batch) to in[0, n) into out; the tail of fewer than one
        // batch goes through `f` too, from a zero-padded copy.
        template <class Arch, class T, class F>
        void apply(const T* in, T* out, std::int64_t n, F f)
        {
            using batch = xsimd::batch<T, Arch>;
            constexpr std::int64_t width = static_cast<std::int64_t>(batch::size);
            std::int64_t i = 0;
            for (; i + width <= n; i += width)
            {
                f(batch::load_unaligned(in + i)).store_unaligned(out + i);
            }
            if (i < n)
            {
                alignas(64) T pad[width] = {};
                std::copy(in + i, in + n, pad);
                f(batch::load_unaligned(pad)).store_unaligned(pad);
                std::copy(pad, pad + (n - i), out + i);
            }
        }

        template <class Arch, class T>
        void softplus_impl(const T* in, T* out, std::int64_t n, T beta, T threshold)
        {
            using batch = xsimd::batch<T, Arch>;
            const batch b(beta), th(threshold), zero(T(0));
            apply<Arch>(in, out, n, [&](const batch& x) {
                const batch v = x * b;
                const batch soft = (xsimd::max(v, zero) + xsimd::log1p(xsimd::exp(-xsimd::abs(v)))) / b;
                return xsimd::select(v > th, x, soft);
            });
        }

        template <class Arch, class T>
        void sigmoid_impl(const T* in, T* out, std::int64_t n)
        {
            using batch = xsimd::batch<T, Arch>;
            const batch one(T(1));
            apply<Arch>(in, out, n, [&](const batch& x) { return one / (one + xsimd::exp(-x)); });
        }
    }
}
