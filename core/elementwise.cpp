// Elementwise kernels through xtensor expressions: broadcasting comes from xtensor,
// the dtype switch from detail::dispatch (see elementwise.hpp).
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/reduce.hpp>
#include <adjoint/core/xt.hpp>

#include <xtensor/xoperation.hpp>

#include <cmath>

namespace adjoint::kernels
{
    namespace
    {
        // A 1-d view of the whole buffer: same-shape operations on it take xtensor's
        // contiguous (SIMD) loop instead of n-d index stepping.
        template <class T>
        auto flat(array& a)
        {
            const auto n = static_cast<std::size_t>(a.numel());
            return xt::adapt(a.data<T>(), n, xt::no_ownership(), detail::xt_shape{n});
        }

        template <class T>
        auto flat(const array& a)
        {
            const auto n = static_cast<std::size_t>(a.numel());
            return xt::adapt(a.data<T>(), n, xt::no_ownership(), detail::xt_shape{n});
        }

        template <class T, class Out, class A, class B>
        void assign_binary(binary_op op, Out& out, const A& a, const B& b)
        {
            const T one = T(1), zero = T(0);
            switch (op)
            {
                case binary_op::add: out = a + b; break;
                case binary_op::sub: out = a - b; break;
                case binary_op::mul: out = a * b; break;
                case binary_op::div: out = a / b; break;
                case binary_op::pow: out = xt::pow(a, b); break;
                case binary_op::maximum: out = xt::maximum(a, b); break;
                case binary_op::minimum: out = xt::minimum(a, b); break;
                case binary_op::eq: out = xt::where(xt::equal(a, b), one, zero); break;
                case binary_op::ne: out = xt::where(xt::not_equal(a, b), one, zero); break;
                case binary_op::lt: out = xt::where(a < b, one, zero); break;
                case binary_op::le: out = xt::where(a <= b, one, zero); break;
                case binary_op::gt: out = xt::where(a > b, one, zero); break;
                case binary_op::ge: out = xt::where(a >= b, one, zero); break;
            }
        }
    }

    array binary(binary_op op, const array& a, const array& b)
    {
        array out = array::empty(broadcast_shapes(a.shape(), b.shape(), "binary op"), a.dtype());
        detail::dispatch(a.dtype(), [&](auto t) {
            using T = decltype(t);
            if (a.shape() == b.shape())
            {
                auto o = flat<T>(out);
                assign_binary<T>(op, o, flat<T>(a), flat<T>(b));
            }
            else if (b.numel() == 1)
            {
                // Tensor-scalar arithmetic (x * 2.0) is common enough to deserve the flat path too.
                auto o = flat<T>(out);
                assign_binary<T>(op, o, flat<T>(a), xt::xscalar<T>(b.data<T>()[0]));
            }
            else if (a.numel() == 1)
            {
                auto o = flat<T>(out);
                assign_binary<T>(op, o, xt::xscalar<T>(a.data<T>()[0]), flat<T>(b));
            }
            else
            {
                auto o = detail::xview<T>(out);
                assign_binary<T>(op, o, detail::xview<T>(a), detail::xview<T>(b));
            }
        });
        return out;
    }

    array unary(unary_op op, const array& x)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            auto a = flat<T>(x);
            const T one = T(1), zero = T(0);
            switch (op)
            {
                case unary_op::neg: o = -a; break;
                case unary_op::exp: o = xt::exp(a); break;
                case unary_op::log: o = xt::log(a); break;
                case unary_op::sqrt: o = xt::sqrt(a); break;
                case unary_op::abs: o = xt::abs(a); break;
                case unary_op::sign: o = xt::sign(a); break;
                case unary_op::relu: o = xt::maximum(a, zero); break;
                // Written as 1/(1+exp(-x)) it overflows harmlessly to 0 for very negative x.
                case unary_op::sigmoid: o = one / (one + xt::exp(-a)); break;
                case unary_op::tanh: o = xt::tanh(a); break;
                case unary_op::step: o = xt::where(a > zero, one, zero); break;
            }
        });
        return out;
    }

    array clamp(const array& x, double lo, double hi)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            o = xt::clip(flat<T>(x), static_cast<T>(lo), static_cast<T>(hi));
        });
        return out;
    }

    array scalar_pow(const array& x, double exponent)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            o = xt::pow(flat<T>(x), static_cast<T>(exponent));
        });
        return out;
    }

    array sum_to(const array& x, const shape_t& shape)
    {
        if (x.shape() == shape)
        {
            return x;
        }
        // Axes to reduce: the extra leading ones, and those where the target has size 1.
        const std::size_t lead = x.shape().size() - shape.size();
        std::vector<std::int64_t> axes;
        for (std::size_t i = 0; i < x.shape().size(); ++i)
        {
            if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1))
            {
                axes.push_back(static_cast<std::int64_t>(i));
            }
        }
        return reduce_sum(x, axes).reshaped(shape);
    }

    array in_range(const array& x, double lo, double hi)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            auto a = flat<T>(x);
            o = xt::where(a >= static_cast<T>(lo) && a <= static_cast<T>(hi), T(1), T(0));
        });
        return out;
    }
}
