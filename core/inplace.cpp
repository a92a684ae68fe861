// In-place update kernels (see inplace.hpp): plain loops over contiguous buffers, computed in
// the arrays' own dtype so that float32 updates round exactly as PyTorch's do.
#include <adjoint/core/inplace.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>

namespace adjoint::kernels
{
    namespace
    {
        void check_like(const char* op, const array& y, const array& x)
        {
            if (x.shape() != y.shape() || x.dtype() != y.dtype())
            {
                throw std::invalid_argument(detail::str(op, ": expected an operand of shape ", shape_str(y.shape()),
                                                        " and dtype ", dtype_name(y.dtype()), " (the updated tensor's), got ",
                                                        shape_str(x.shape()), " ", dtype_name(x.dtype())));
            }
        }
    }

    void copy_(array& y, const array& x, const char* op)
    {
        check_like(op, y, x);
        detail::dispatch(y.dtype(), [&](auto t) {
            using T = decltype(t);
            std::copy(x.data<T>(), x.data<T>() + x.numel(), y.data<T>());
        });
    }

    void axpby_(array& y, double a, const array& x, double b, const char* op)
    {
        check_like(op, y, x);
        detail::dispatch_floating(y.dtype(), op, [&](auto t) {
            using T = decltype(t);
            T* py = y.data<T>();
            const T* px = x.data<T>();
            const T ta = static_cast<T>(a), tb = static_cast<T>(b);
            for (std::int64_t i = 0, n = y.numel(); i < n; ++i)
            {
                py[i] = ta * py[i] + tb * px[i];
            }
        });
    }

    void scale_(array& y, double a)
    {
        detail::dispatch_floating(y.dtype(), "mul_", [&](auto t) {
            using T = decltype(t);
            T* py = y.data<T>();
            const T ta = static_cast<T>(a);
            for (std::int64_t i = 0, n = y.numel(); i < n; ++i)
            {
                py[i] *= ta;
            }
        });
    }

    void mul_(array& y, const array& x, const char* op)
    {
        check_like(op, y, x);
        detail::dispatch_floating(y.dtype(), op, [&](auto t) {
            using T = decltype(t);
            T* py = y.data<T>();
            const T* px = x.data<T>();
            for (std::int64_t i = 0, n = y.numel(); i < n; ++i)
            {
                py[i] *= px[i];
            }
        });
    }

    namespace
    {
        // y += combine(v * a, b), elementwise, in y's dtype: addcmul_ and addcdiv_. v * a is
        // rounded first, as in PyTorch's kernels (value * t1 * t2, value * t1 / t2).
        template <class Combine>
        void add_combined_(array& y, const array& a, const array& b, double v, const char* op, Combine combine)
        {
            check_like(op, y, a);
            check_like(op, y, b);
            detail::dispatch_floating(y.dtype(), op, [&](auto t) {
                using T = decltype(t);
                T* py = y.data<T>();
                const T *pa = a.data<T>(), *pb = b.data<T>();
                const T tv = static_cast<T>(v);
                for (std::int64_t i = 0, n = y.numel(); i < n; ++i)
                {
                    py[i] += combine(tv * pa[i], pb[i]);
                }
            });
        }
    }

    void addcmul_(array& y, const array& a, const array& b, double v, const char* op)
    {
        add_combined_(y, a, b, v, op, [](auto p, auto q) { return p * q; });
    }

    void addcdiv_(array& y, const array& a, const array& b, double v, const char* op)
    {
        add_combined_(y, a, b, v, op, [](auto p, auto q) { return p / q; });
    }
}
