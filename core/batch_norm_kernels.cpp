// Batch-norm kernels (see batch_norm_kernels.hpp): plain loops over the [n, c, s] layout,
// each channel plane of a sample being one contiguous run of s values.
#include <adjoint/core/batch_norm_kernels.hpp>
#include <adjoint/core/xt.hpp>

#include <cmath>

namespace adjoint::kernels
{
    channel_moments_result channel_moments(const array& x)
    {
        const channel_layout l = channel_layout_of(x);
        const double count = static_cast<double>(l.n * l.s);
        array mean = array::empty({l.c}, x.dtype(), "batch_norm");
        array var = array::empty({l.c}, x.dtype(), "batch_norm");
        array var_unbiased = array::empty({l.c}, x.dtype(), "batch_norm");
        detail::dispatch_floating(x.dtype(), "batch_norm", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            T* ms = mean.data<T>();
            T* vs = var.data<T>();
            T* us = var_unbiased.data<T>();
            for (std::int64_t ch = 0; ch < l.c; ++ch)
            {
                double total = 0.0;
                for (std::int64_t i = 0; i < l.n; ++i)
                {
                    const T* row = xs + (i * l.c + ch) * l.s;
                    for (std::int64_t e = 0; e < l.s; ++e)
                    {
                        total += static_cast<double>(row[e]);
                    }
                }
                const double m = total / count;
                // Deviations from the mean, not E[x^2] - E[x]^2: no cancellation when |mean| >> std.
                double squares = 0.0;
                for (std::int64_t i = 0; i < l.n; ++i)
                {
                    const T* row = xs + (i * l.c + ch) * l.s;
                    for (std::int64_t e = 0; e < l.s; ++e)
                    {
                        const double d = static_cast<double>(row[e]) - m;
                        squares += d * d;
                    }
                }
                ms[ch] = static_cast<T>(m);
                vs[ch] = static_cast<T>(squares / count);
                us[ch] = static_cast<T>(squares / (count - 1.0));
            }
        });
        return {std::move(mean), std::move(var), std::move(var_unbiased)};
    }

    array batch_norm_transform(const array& x, const array& mean, const array& var, const array& weight,
                               const array& bias, double eps)
    {
        const channel_layout l = channel_layout_of(x);
        array y = array::empty(x.shape(), x.dtype(), "batch_norm");
        detail::dispatch_floating(x.dtype(), "batch_norm", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            const T* ms = mean.data<T>();
            const T* vs = var.data<T>();
            const T* ws = weight.defined() ? weight.data<T>() : nullptr;
            const T* bs = bias.defined() ? bias.data<T>() : nullptr;
            T* ys = y.data<T>();
            for (std::int64_t ch = 0; ch < l.c; ++ch)
            {
                const double invstd = 1.0 / std::sqrt(static_cast<double>(vs[ch]) + eps);
                const double scale = (ws ? static_cast<double>(ws[ch]) : 1.0) * invstd;
                const T a = static_cast<T>(scale);
                const T b = static_cast<T>((bs ? static_cast<double>(bs[ch]) : 0.0) - static_cast<double>(ms[ch]) * scale);
                for (std::int64_t i = 0; i < l.n; ++i)
                {
                    const std::int64_t base = (i * l.c + ch) * l.s;
                    for (std::int64_t e = 0; e < l.s; ++e)
                    {
                        ys[base + e] = xs[base + e] * a + b;
                    }
                }
            }
        });
        return y;
    }
}
