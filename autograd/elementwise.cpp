// Elementwise ops: each forward calls a core kernel, and its backward sits right under it,
// written with differentiable ops (so create_graph gives higher-order gradients) and summed
// back to each input's shape where the forward broadcast. Comparisons record nothing.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    using kernels::binary_op;
    using kernels::unary_op;

    namespace
    {
        Tensor binary(binary_op op, const char* name, const Tensor& a, const Tensor& b, backward_fn fn,
                      detail::saves saved = detail::saves::all_inputs())
        {
            detail::check_same_dtype(name, {a, b});
            broadcast_shapes(a.shape(), b.shape(), name);   // names the op in the error
            return detail::record(kernels::binary(op, a.data(), b.data()), name, {a, b}, std::move(fn), saved);
        }

        // A scalar operand as a 0-d tensor of t's dtype. An int64 tensor takes integral values
        // only: 2.5 would silently become 2 (PyTorch would promote to float instead).
        Tensor like(const Tensor& t, double value, const char* op = "scalar op")
        {
            if (t.dtype() == int64 && value != std::trunc(value))
            {
                throw std::invalid_argument(detail::str(op, ": an int64 tensor takes integer scalars, got ", value,
                                                        "; convert the tensor with .to(float32) first"));
            }
            return Tensor(array::full({}, value, t.dtype()));
        }

        // A derivative factor that is piecewise constant (a mask, a sign): a plain value off the
        // graph, which is exact for higher-order gradients too since its own derivative is 0.
        Tensor constant(array values) { return Tensor(std::move(values)); }

        Tensor mask(binary_op op, const Tensor& a, const Tensor& b) { return constant(kernels::binary(op, a.data(), b.data())); }

        // f(x) inside a backward formula: the forward's saved result when the backward pass is
        // not recorded (the usual case), else f recomputed from x so that it stays
        // differentiable under create_graph. The result is kept as an array, never as the
        // output Tensor, so the node does not own itself.
        template <class F>
        Tensor saved_or(const array& saved, F recompute)
        {
            return is_grad_enabled() ? recompute() : constant(saved);
        }

        Tensor unary(unary_op op, const char* name, const Tensor& x, backward_fn fn)
        {
            return detail::record(kernels::unary(op, x.data()), name, {x}, std::move(fn));   // saves x
        }

        Tensor compare(binary_op op, const char* name, const Tensor& a, const Tensor& b)
        {
            detail::check_same_dtype(name, {a, b});
            broadcast_shapes(a.shape(), b.shape(), name);
            return constant(kernels::binary(op, a.data(), b.data()));
        }
    }

    Tensor sum_to(const Tensor& x, const shape_t& shape)
    {
        if (x.shape() == shape)
        {
            return x;
        }
        // Reachable: aligned from the right, every target dimension equals the input's or is 1.
        const shape_t& xs = x.shape();
        bool reachable = shape.size() <= xs.size();
        for (std::size_t i = 0; reachable && i < shape.size(); ++i)
        {
            const std::int64_t d = xs[xs.size() - shape.size() + i];
            reachable = shape[i] == d || shape[i] == 1;
        }
        if (!reachable)
        {
            throw std::invalid_argument(detail::str("sum_to: target shape must broadcast to the input's shape ",
                                                    shape_str(x.shape()), ", got ", shape_str(shape)));
        }
        return detail::record(kernels::sum_to(x.data(), shape), "sum_to", {x},
                              [xs = x.shape()](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {expand(g, xs)};
                              },
                              detail::saves::nothing());
    }

    Tensor operator+(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::add, "add", a, b, [as = a.shape(), bs = b.shape()](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g, as) : Tensor(), needs[1] ? sum_to(g, bs) : Tensor()};
        }, detail::saves::nothing());
    }

    Tensor operator-(const Tensor& a, const Tensor& b)
    {
        return binary(binary_op::sub, "sub", a, b, [as = a.shape(), bs = b.shape()](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            return {needs[0] ? sum_to(g, as) : Tensor(), needs[1] ? sum_to(-g, bs) : Tensor()};
        }, detail::saves::nothing());
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

    Tensor operator+(const Tensor& a, double b) { return a + like(a, b, "add"); }
    Tensor operator-(const Tensor& a, double b) { return a - like(a, b, "sub"); }
    Tensor operator*(const Tensor& a, double b) { return a * like(a, b, "mul"); }
    Tensor operator/(const Tensor& a, double b) { return a / like(a, b, "div"); }
    Tensor operator+(double a, const Tensor& b) { return like(b, a, "add") + b; }
    Tensor operator-(double a, const Tensor& b) { return like(b, a, "sub") - b; }
    Tensor operator*(double a, const Tensor& b) { return like(b, a, "mul") * b; }
    Tensor operator/(double a, const Tensor& b) { return like(b, a, "div") / b; }

    Tensor neg(const Tensor& x)
    {
        return detail::record(kernels::unary(unary_op::neg, x.data()), "neg", {x},
                              [](const Tensor& g, const std::vector<bool>&) -> tensor_list { return {-g}; },
                              detail::saves::nothing());
    }

    Tensor operator-(const Tensor& x) { return neg(x); }

    Tensor pow(const Tensor& x, double exponent)
    {
        return detail::record(kernels::scalar_pow(x.data(), exponent), "pow", {x},
                              [x, exponent](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  // d/dx x^0 is 0 everywhere, also at x = 0 where the general
                                  // formula would give 0 * inf.
                                  if (exponent == 0.0)
                                  {
                                      return {g * 0.0};
                                  }
                                  return {g * exponent * pow(x, exponent - 1.0)};
                              });
    }

    Tensor pow(const Tensor& x, const Tensor& exponent)
    {
        return binary(binary_op::pow, "pow", x, exponent, [x, e = exponent](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
            Tensor gx, ge;
            if (needs[0])
            {
                // Where e == 0 the factor e * x^(e-1) must be 0 even at x = 0: raising to e - 1 + 1
                // there gives e * x^0 = 0 instead of 0 * inf.
                gx = sum_to(g * e * pow(x, e - 1.0 + mask(binary_op::eq, e, like(e, 0.0))), x.shape());
            }
            if (needs[1])
            {
                // x^e log x tends to 0 as x -> 0 for e >= 0 (PyTorch's convention): log is taken
                // of 1 there instead of 0.
                const Tensor at_zero = mask(binary_op::eq, x, like(x, 0.0)) * mask(binary_op::ge, e, like(e, 0.0));
                ge = sum_to(g * pow(x, e) * log(x + at_zero), e.shape());
            }
            return {gx, ge};
        });
    }

    Tensor exp(const Tensor& x)
    {
        array y = kernels::unary(unary_op::exp, x.data());
        return detail::record(y, "exp", {x}, [x, y](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {g * saved_or(y, [&] { return exp(x); })};
        }, detail::saves::all_inputs().and_output());
    }

    Tensor log(const Tensor& x)
    {
        return unary(unary_op::log, "log", x, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {g / x};
        });
    }

    Tensor sqrt(const Tensor& x)
    {
        array y = kernels::unary(unary_op::sqrt, x.data());
        return detail::record(y, "sqrt", {x}, [x, y](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {g / (2.0 * saved_or(y, [&] { return sqrt(x); }))};
        }, detail::saves::all_inputs().and_output());
    }

    Tensor abs(const Tensor& x)
    {
        return unary(unary_op::abs, "abs", x, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {g * constant(kernels::unary(unary_op::sign, x.data()))};
        });
    }

    Tensor clamp(const Tensor& x, double min, double max)
    {
        if (min > max)
        {
            throw std::invalid_argument(detail::str("clamp: min must be <= max, got min=", min, ", max=", max));
        }
        return detail::record(kernels::clamp(x.data(), min, max), "clamp", {x},
                              [x, min, max](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {g * constant(kernels::in_range(x.data(), min, max))};
                              });
    }

    // g * (y > 0) in one pass, without a mask buffer: relu's backward. Linear in g with the
    // same (piecewise constant) mask, so its own backward is itself and y gets none:
    // higher-order gradients stay exact, as with g * constant(step(y)).
    Tensor detail::relu_grad(const Tensor& g, const array& y)
    {
        return detail::record(kernels::relu_backward(g.data(), y), "relu_backward", {g},
                              [y](const Tensor& gg, const std::vector<bool>&) -> tensor_list {
                                  return {relu_grad(gg, y)};
                              }, detail::saves::nothing());
    }

    Tensor relu(const Tensor& x)
    {
        // The mask is read off the output (y > 0 exactly where x > 0), so the graph keeps the
        // activation the next layer keeps anyway and lets the pre-activation go.
        array y = kernels::unary(unary_op::relu, x.data());
        return detail::record(y, "relu", {x}, [y](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {detail::relu_grad(g, y)};
        }, detail::saves::only({}, true));
    }

    Tensor sigmoid(const Tensor& x)
    {
        array y = kernels::unary(unary_op::sigmoid, x.data());
        return detail::record(y, "sigmoid", {x}, [x, y](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            const Tensor s = saved_or(y, [&] { return sigmoid(x); });
            return {g * s * (1.0 - s)};
        }, detail::saves::all_inputs().and_output());
    }

    Tensor tanh(const Tensor& x)
    {
        array y = kernels::unary(unary_op::tanh, x.data());
        return detail::record(y, "tanh", {x}, [x, y](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            const Tensor t = saved_or(y, [&] { return tanh(x); });
            return {g * (1.0 - t * t)};
        }, detail::saves::all_inputs().and_output());
    }

    namespace
    {
        // maximum/minimum: the gradient goes to the selected operand, half to each on a tie.
        // `wins` is gt for maximum and lt for minimum.
        Tensor select_binary(binary_op op, binary_op wins, const char* name, const Tensor& a, const Tensor& b)
        {
            return binary(op, name, a, b, [a, b, wins](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                const Tensor tie = mask(binary_op::eq, a, b) * 0.5;
                return {needs[0] ? sum_to(g * (mask(wins, a, b) + tie), a.shape()) : Tensor(),
                        needs[1] ? sum_to(g * (mask(wins, b, a) + tie), b.shape()) : Tensor()};
            });
        }
    }

    Tensor maximum(const Tensor& a, const Tensor& b) { return select_binary(binary_op::maximum, binary_op::gt, "maximum", a, b); }
    Tensor minimum(const Tensor& a, const Tensor& b) { return select_binary(binary_op::minimum, binary_op::lt, "minimum", a, b); }

    Tensor eq(const Tensor& a, const Tensor& b) { return compare(binary_op::eq, "eq", a, b); }
    Tensor ne(const Tensor& a, const Tensor& b) { return compare(binary_op::ne, "ne", a, b); }
    Tensor lt(const Tensor& a, const Tensor& b) { return compare(binary_op::lt, "lt", a, b); }
    Tensor le(const Tensor& a, const Tensor& b) { return compare(binary_op::le, "le", a, b); }
    Tensor gt(const Tensor& a, const Tensor& b) { return compare(binary_op::gt, "gt", a, b); }
    Tensor ge(const Tensor& a, const Tensor& b) { return compare(binary_op::ge, "ge", a, b); }
    Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
    Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
    Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
    Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
    Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
    Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }

    namespace
    {
        // t <op> value. An int64 tensor against a fractional value compares exactly in float64
        // (t > 2.5 must not become t > 2); the mask then comes back as int64.
        Tensor compare_scalar(binary_op op, const char* name, const Tensor& t, double value, bool scalar_first)
        {
            if (t.dtype() == int64 && value != std::trunc(value))
            {
                const Tensor wide = t.to(float64);
                const Tensor v = like(wide, value, name);
                return compare(op, name, scalar_first ? v : wide, scalar_first ? wide : v).to(int64);
            }
            const Tensor v = like(t, value, name);
            return compare(op, name, scalar_first ? v : t, scalar_first ? t : v);
        }
    }

    Tensor eq(const Tensor& a, double b) { return compare_scalar(binary_op::eq, "eq", a, b, false); }
    Tensor ne(const Tensor& a, double b) { return compare_scalar(binary_op::ne, "ne", a, b, false); }
    Tensor lt(const Tensor& a, double b) { return compare_scalar(binary_op::lt, "lt", a, b, false); }
    Tensor le(const Tensor& a, double b) { return compare_scalar(binary_op::le, "le", a, b, false); }
    Tensor gt(const Tensor& a, double b) { return compare_scalar(binary_op::gt, "gt", a, b, false); }
    Tensor ge(const Tensor& a, double b) { return compare_scalar(binary_op::ge, "ge", a, b, false); }
    Tensor operator==(const Tensor& a, double b) { return eq(a, b); }
    Tensor operator!=(const Tensor& a, double b) { return ne(a, b); }
    Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
    Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
    Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
    Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }
    Tensor operator==(double a, const Tensor& b) { return compare_scalar(binary_op::eq, "eq", b, a, true); }
    Tensor operator!=(double a, const Tensor& b) { return compare_scalar(binary_op::ne, "ne", b, a, true); }
    Tensor operator<(double a, const Tensor& b) { return compare_scalar(binary_op::lt, "lt", b, a, true); }
    Tensor operator<=(double a, const Tensor& b) { return compare_scalar(binary_op::le, "le", b, a, true); }
    Tensor operator>(double a, const Tensor& b) { return compare_scalar(binary_op::gt, "gt", b, a, true); }
    Tensor operator>=(double a, const Tensor& b) { return compare_scalar(binary_op::ge, "ge", b, a, true); }
}
