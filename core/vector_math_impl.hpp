// The one implementation behind vector_math.hpp, a template on xsimd's architecture tag,
// included by the two translation units that instantiate it (vector_math.cpp for the
// baseline, vector_math_avx2.cpp compiled with -mavx2 -mfma where the compiler takes them),
// and by reduce.cpp, which sums the integer dtypes with sum_impl in its own instantiation.
// Everything here is in an anonymous namespace (the maps also use only xsimd's arch-tagged
// batches), so no function compiled for AVX2 can be picked by the linker for the baseline build.
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

        // The sum of n contiguous values, in double: sixteen independent partial sums (lane l
        // takes the values at j = l mod 16), then the tail, then the partials in lane order.
        // Plain C++ that each translation unit's flags vectorise: the order of the additions
        // is the source's, so the result is the same on either instruction set. Why sixteen:
        // each partial waits for its previous add, and AVX2 holds four doubles a register, so
        // sixteen lanes are four chains of adds in flight; the widening itself (vcvtps2pd,
        // four floats an instruction) is what the baseline's SSE2 is slow at (two, plus a
        // shuffle).
        template <class In>
        double sum_impl(const In* x, std::int64_t n)
        {
            constexpr int lanes = 16;
            double partial[lanes] = {};
            std::int64_t j = 0;
            for (; j + lanes <= n; j += lanes)
            {
                for (int l = 0; l < lanes; ++l)
                {
                    partial[l] += static_cast<double>(x[j + l]);
                }
            }
            double total = 0.0;
            for (; j < n; ++j)
            {
                total += static_cast<double>(x[j]);
            }
            for (double q : partial)
            {
                total += q;
            }
            return total;
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
