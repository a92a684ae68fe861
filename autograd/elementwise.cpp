// Elementwise ops: each forward calls a core kernel, and its backward sits right under it,
// written with differentiable ops (so create_graph gives higher-order gradients) and summed
// back to each input's shape where the forward broadcast.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>

namespace adjoint
{
    using kernels::binary_op;
    using kernels::unary_op;

    namespace
    {
        Tensor binary(binary_op op, const char* name, const Tensor& a, const Tensor& b, backward_fn fn)
        {
            detail::check_same_dtype(name, {a, b});
            broadcast_shapes(a.shape(), b.shape(), name);   // names the op in the error
            return detail::record(kernels::binary(op, a.data(), b.data()), name, {a, b}, std::move(fn));
        }

        Tensor like(const Tensor& t, double value) { return Tensor(array::full({}, value, t.dtype())); }
    }

    Tensor sum_to(const Tensor& x, const shape_t& shape)
    {
        if (x.shape() == shape)
        {
            return x;
        }
        return detail::record(kernels::sum_to(x.data(), shape), "sum_to", {x},
                              [xs = x.shape()](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {expand(g, xs)};
                              });
    }

    Tensor operator+(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::add, "add", a, b, [as = a.shape(), bs = b.shape()](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g, as) : Tensor(), needs[1] ? sum_to(g, bs) : Tensor()};
        });
    }

    Tensor operator-(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::sub, "sub", a, b, [as = a.shape(), bs = b.shape()](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g, as) : Tensor(), needs[1] ? sum_to(-g, bs) : Tensor()};
        });
    }

    Tensor operator*(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::mul, "mul", a, b, [a, b](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g * b, a.shape()) : Tensor(), needs[1] ? sum_to(g * a, b.shape()) : Tensor()};
        });
    }

    Tensor operator/(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::div, "div", a, b, [a, b](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g / b, a.shape()) : Tensor(),
                    needs[1] ? sum_to(-g * a / (b * b), b.shape()) : Tensor()};
        });
    }

    Tensor operator+(const Tensor& a, double b) { return a + like(a, b); }
    Tensor operator-(const Tensor& a, double b) { return a - like(a, b); }
    Tensor operator*(const Tensor& a, double b) { return a * like(a, b); }
    Tensor operator/(const Tensor& a, double b) { return a / like(a, b); }
    Tensor operator+(double a, const Tensor& b) { return like(b, a) + b; }
    Tensor operator-(double a, const Tensor& b) { return like(b, a) - b; }
    Tensor operator*(double a, const Tensor& b) { return like(b, a) * b; }
    Tensor operator/(double a, const Tensor& b) { return like(b, a) / b; }

    Tensor neg(const Tensor& x)
    {
        return detail::record(kernels::unary(unary_op::neg, x.data()), "neg", {x},
                              [](const Tensor& g, const std::vector<bool>&) -> tensor_list { return {-g}; });
    }

    Tensor operator-(const Tensor& x) { return neg(x); }
}
