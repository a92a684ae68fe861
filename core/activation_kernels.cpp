// Activation kernels (see activation_kernels.hpp): plain loops over the flat buffer for the
// elementwise maps, and an (outer, n, inner) walk for softmax, whose row reductions
// accumulate in double for both dtypes.
#include <adjoint/core/activation_kernels.hpp>
#include <adjoint/core/vector_math.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace adjoint::kernels
{
    namespace
    {
        // out[i] = f(x[i]) in x's floating dtype; `op` names the op if x is int64.
        template <class F>
        array map(const array& x, const char* op, F f)
        {
            array out = array::empty(x.shape(), x.dtype(), op);
            detail::dispatch_floating(x.dtype(), op, [&](auto t) {
                using T = decltype(t);
                const T* in = x.data<T>();
                T* o = out.data<T>();
                for (std::int64_t i = 0; i < x.numel(); ++i)
                {
                    o[i] = f(in[i]);
                }
            });
            return out;
        }

        // Shape legend: x is (outer, n, inner) around `axis`; each (o, i) pair is one row of n
        // values spaced `inner` apart.
        template <class Row>
        array along_rows(const array& x, std::int64_t axis, const char* op, Row row)
        {
            array out = array::empty(x.shape(), x.dtype(), op);
            const shape_t& s = x.shape();
            std::int64_t outer = 1, inner = 1;
            const std::int64_t n = s.empty() ? 1 : s[static_cast<std::size_t>(axis)];
            for (std::int64_t d = 0; d < static_cast<std::int64_t>(s.size()); ++d)
            {
                if (d < axis)
                {
                    outer *= s[static_cast<std::size_t>(d)];
                }
                else if (d > axis)
                {
                    inner *= s[static_cast<std::size_t>(d)];
                }
            }
            if (out.numel() == 0)
            {
                return out;
            }
            detail::dispatch_floating(x.dtype(), op, [&](auto t) {
                using T = decltype(t);
                for (std::int64_t o = 0; o < outer; ++o)
                {
                    for (std::int64_t i = 0; i < inner; ++i)
                    {
                        const std::int64_t start = o * n * inner + i;
                        row(x.data<T>() + start, out.data<T>() + start, n, inner);
                    }
                }
            });
            return out;
        }

        // The row maximum and sum of exp(x - max) for one row.
        template <class T>
        void shifted_sum(const T* x, std::int64_t n, std::int64_t stride, double& max, double& sum)
        {
            max = -std::numeric_limits<double>::infinity();
            for (std::int64_t k = 0; k < n; ++k)
            {
                max = std::max(max, static_cast<double>(x[k * stride]));
            }
            sum = 0.0;
            for (std::int64_t k = 0; k < n; ++k)
            {
                sum += std::exp(static_cast<double>(x[k * stride]) - max);
            }
        }
    }

    array erf(const array& x)
    {
        return map(x, "erf", [](auto v) { return std::erf(v); });
    }

    array leaky_relu(const array& x, double negative_slope)
    {
        return map(x, "leaky_relu", [negative_slope](auto v) {
            using T = decltype(v);
            return v > T(0) ? v : v * static_cast<T>(negative_slope);
        });
    }

    array elu(const array& x, double alpha)
    {
        return map(x, "elu", [alpha](auto v) {
            using T = decltype(v);
            return v > T(0) ? v : static_cast<T>(alpha) * std::expm1(v);
        });
    }

    array gelu(const array& x, bool tanh_approximation)
    {
        if (tanh_approximation)
        {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            return map(x, "gelu", [](auto v) {
                using T = decltype(v);
                const T k = static_cast<T>(0.7978845608028654);   // sqrt(2 / pi)
                return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
            });
        }
        return map(x, "gelu", [](auto v) {
            using T = decltype(v);
            return v * T(0.5) * (T(1) + std::erf(v * static_cast<T>(0.7071067811865476)));   // 1/sqrt(2)
        });
    }

    array silu(const array& x)
    {
        // exp(-x) overflows to inf for very negative x, giving -0: the right limit.
        return map(x, "silu", [](auto v) {
            using T = decltype(v);
            return v / (T(1) + std::exp(-v));
        });
    }

    array softplus(const array& x, double beta, double threshold)
    {
        // Vectorised (vector_math.hpp) in the stable form max(v, 0) + log1p(e^-|v|), which is
        // log1p(e^v) without its overflow; the losses' softplus is this with threshold +inf.
        array out = array::empty(x.shape(), x.dtype(), "softplus");
        detail::dispatch_floating(x.dtype(), "softplus", [&](auto t) {
            using T = decltype(t);
            vector_math::softplus(x.data<T>(), out.data<T>(), x.numel(), static_cast<T>(beta),
                                  static_cast<T>(threshold));
        });
        return out;
    }

    array softmax(const array& x, std::int64_t axis)
    {
        return along_rows(x, axis, "softmax", [](const auto* in, auto* out, std::int64_t n, std::int64_t stride) {
            using T = std::remove_cv_t<std::remove_pointer_t<decltype(out)>>;
            double max = 0.0, sum = 0.0;
            shifted_sum(in, n, stride, max, sum);
            for (std::int64_t k = 0; k < n; ++k)
            {
                out[k * stride] = static_cast<T>(std::exp(static_cast<double>(in[k * stride]) - max) / sum);
            }
        });
    }

    array log_softmax(const array& x, std::int64_t axis)
    {
        return along_rows(x, axis, "log_softmax", [](const auto* in, auto* out, std::int64_t n, std::int64_t stride) {
            using T = std::remove_cv_t<std::remove_pointer_t<decltype(out)>>;
            double max = 0.0, sum = 0.0;
            shifted_sum(in, n, stride, max, sum);
            const double log_sum = std::log(sum);
            for (std::int64_t k = 0; k < n; ++k)
            {
                out[k * stride] = static_cast<T>(static_cast<double>(in[k * stride]) - max - log_sum);
            }
        });
    }
}
