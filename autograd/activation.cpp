// Activations: each forward is one kernel (core/activation_kernels.hpp), each backward right
// under it multiplies g by the derivative written with differentiable ops. Piecewise factors
// (which side of a kink x is on) are constant masks, exact for higher derivatives too since
// their own derivative is 0 almost everywhere.
#include <adjoint/autograd/activation.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/activation_kernels.hpp>
#include <adjoint/core/elementwise.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // The op's output inside its own backward: the saved values when the backward pass
        // is not being recorded, else recomputed from x so that it is differentiable under
        // create_graph. Kept as an array, never as the output Tensor, so the node does not own
        // itself. (The same rule as saved_or in elementwise.cpp.)
        template <class F>
        Tensor saved_or(const array& saved, F recompute)
        {
            return is_grad_enabled() ? recompute() : Tensor(saved);
        }

        // 1 where x > 0, else 0, off the graph.
        Tensor positive(const Tensor& x) { return gt(x, 0.0); }

        const double inv_sqrt2 = 0.7071067811865476;     // 1 / sqrt(2)
        const double inv_sqrt2pi = 0.3989422804014327;   // 1 / sqrt(2 pi)
        const double two_over_sqrtpi = 1.1283791670955126;
        const double sqrt_2_over_pi = 0.7978845608028654;
        const double gelu_cubic = 0.044715;
    }

    void detail::check_gelu_approximate(const char* op, const std::string& approximate)
    {
        if (approximate != "none" && approximate != "tanh")
        {
            throw std::invalid_argument(
                detail::str(op, ": approximate must be \"none\" or \"tanh\", got \"", approximate, "\""));
        }
    }

    void detail::check_softplus_beta(const char* op, double beta)
    {
        if (beta == 0.0)
        {
            throw std::invalid_argument(detail::str(op, ": beta must be non-zero, got 0"));
        }
    }

    Tensor erf(const Tensor& x)
    {
        return detail::record(kernels::erf(x.data()), "erf", {x}, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            return {g * two_over_sqrtpi * exp(-(x * x))};
        });
    }

    Tensor leaky_relu(const Tensor& x, double negative_slope)
    {
        return detail::record(kernels::leaky_relu(x.data(), negative_slope), "leaky_relu", {x},
                              [x, negative_slope](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  const Tensor pos = positive(x);
                                  return {g * (pos + (1.0 - pos) * negative_slope)};
                              });
    }

    Tensor elu(const Tensor& x, double alpha)
    {
        // For x <= 0 the derivative alpha e^x is y + alpha: read off the output, never e^x of a
        // large positive x (which would give inf * 0 in the masked sum).
        array y = kernels::elu(x.data(), alpha);
        return detail::record(y, "elu", {x}, [x, y, alpha](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            const Tensor pos = positive(x);
            const Tensor out = saved_or(y, [&] { return elu(x, alpha); });
            return {g * (pos + (1.0 - pos) * (out + alpha))};
        }, detail::saves::all_inputs().and_output());
    }

    Tensor gelu(const Tensor& x, const std::string& approximate)
    {
        detail::check_gelu_approximate("gelu", approximate);
        if (approximate == "tanh")
        {
            return detail::record(kernels::gelu(x.data(), true), "gelu", {x}, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                // y = x (1 + t) / 2, t = tanh(u), u = k (x + c x^3):
                // dy/dx = (1 + t) / 2 + x (1 - t^2) k (1 + 3 c x^2) / 2.
                const Tensor x2 = x * x;
                const Tensor t = tanh(sqrt_2_over_pi * (x + gelu_cubic * x2 * x));
                const Tensor du = sqrt_2_over_pi * (1.0 + 3.0 * gelu_cubic * x2);
                return {g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)};
            });
        }
        return detail::record(kernels::gelu(x.data(), false), "gelu", {x}, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            // d/dx x Phi(x) = Phi(x) + x phi(x).
            const Tensor cdf = 0.5 * (1.0 + erf(x * inv_sqrt2));
            const Tensor pdf = inv_sqrt2pi * exp(-0.5 * (x * x));
            return {g * (cdf + x * pdf)};
        });
    }

    Tensor silu(const Tensor& x)
    {
        return detail::record(kernels::silu(x.data()), "silu", {x}, [x](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            // d/dx x s(x) = s (1 + x (1 - s)).
            const Tensor s = sigmoid(x);
            return {g * s * (1.0 + x * (1.0 - s))};
        });
    }

    Tensor softplus(const Tensor& x, double beta, double threshold)
    {
        detail::check_softplus_beta("softplus", beta);
        return detail::record(kernels::softplus(x.data(), beta, threshold), "softplus", {x},
                              [x, beta, threshold](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  // 1 above the threshold (where the forward is x), sigmoid(beta x) below.
                                  const Tensor linear = gt(x.detach() * beta, threshold);   // detached: a mask, not recorded
                                  return {g * (linear + (1.0 - linear) * sigmoid(x * beta))};
                              });
    }

    Tensor softmax(const Tensor& x, std::int64_t dim)
    {
        const std::int64_t axis = normalize_axis(dim, x.dim(), "softmax");
        array y = kernels::softmax(x.data(), axis);
        return detail::record(y, "softmax", {x}, [x, y, dim](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            // J = diag(y) - y y^T along the axis: gx = y (g - sum(g y)).
            const Tensor s = saved_or(y, [&] { return softmax(x, dim); });
            return {s * (g - sum(g * s, {dim}, true))};
        }, detail::saves::all_inputs().and_output());
    }

    Tensor log_softmax(const Tensor& x, std::int64_t dim)
    {
        const std::int64_t axis = normalize_axis(dim, x.dim(), "log_softmax");
        array y = kernels::log_softmax(x.data(), axis);
        return detail::record(y, "log_softmax", {x}, [x, y, dim](const Tensor& g, const std::vector<bool>&) -> tensor_list {
            // d(x - lse(x)) = I - softmax(x) 1^T along the axis: gx = g - softmax(x) sum(g).
            const Tensor s = is_grad_enabled() ? softmax(x, dim) : Tensor(kernels::unary(kernels::unary_op::exp, y));
            return {g - s * sum(g, {dim}, true)};
        }, detail::saves::all_inputs().and_output());
    }
}
