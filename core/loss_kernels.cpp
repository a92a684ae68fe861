// Loss kernels: plain loops over contiguous buffers (see loss_kernels.hpp).
#include <adjoint/core/loss_kernels.hpp>
#include <adjoint/core/xt.hpp>

#include <cmath>

namespace adjoint::kernels
{
    class_mask_result class_mask(const array& target, std::int64_t classes, const array& weight,
                                 std::optional<std::int64_t> ignore_index, double smoothing, adjoint::dtype dt)
    {
        // target (n, d...) is walked as (n, s) with s the product of the spatial extents; the
        // mask (n, c, s) puts the class axis between them.
        const std::int64_t n = target.dim() == 0 ? 1 : target.size(0);
        const std::int64_t s = n == 0 ? 0 : target.numel() / n;
        shape_t mask_shape = target.shape();
        mask_shape.insert(mask_shape.begin() + (target.dim() == 0 ? 0 : 1), classes);
        return detail::dispatch_floating(dt, "class_mask", [&](auto tag) {
            using T = decltype(tag);
            class_mask_result r;
            r.mask = array::full(mask_shape, 0.0, dt);
            T* m = r.mask.data<T>();
            const std::int64_t* t = target.data<std::int64_t>();
            const T* w = weight.defined() ? weight.data<T>() : nullptr;
            const double spread = smoothing / static_cast<double>(classes);
            double total = 0.0;
            for (std::int64_t i = 0; i < n; ++i)
            {
                for (std::int64_t p = 0; p < s; ++p)
                {
                    const std::int64_t k = t[i * s + p];
                    if (ignore_index && k == *ignore_index)
                    {
                        continue;
                    }
                    T* row = m + i * classes * s + p;   // row[c * s] is class c at this position
                    for (std::int64_t c = 0; c < classes; ++c)
                    {
                        const double wc = w ? static_cast<double>(w[c]) : 1.0;
                        row[c * s] = static_cast<T>(wc * ((c == k ? 1.0 - smoothing : 0.0) + spread));
                    }
                    total += w ? static_cast<double>(w[k]) : 1.0;
                }
            }
            r.weight_sum = total;
            return r;
        });
    }
}
