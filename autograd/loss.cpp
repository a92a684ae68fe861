// Elementwise losses: mse, l1, smooth_l1, huber, binary_cross_entropy (one recorded op with
// PyTorch's clamped backward) and binary_cross_entropy_with_logits (a composition over a
// private, stable softplus op), plus the checks and reduction shared with
// loss_classification.cpp. Formulas are in loss.hpp and docs/derivatives.md.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/loss_detail.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/activation_kernels.hpp>
#include <adjoint/core/loss_kernels.hpp>

#include <limits>
#include <stdexcept>

namespace adjoint
{
    std::string reduction_name(reduction r)
    {
        switch (r)
        {
            case reduction::none: return "none";
            case reduction::mean: return "mean";
            case reduction::sum: return "sum";
        }
        throw std::invalid_argument("reduction_name: invalid reduction value");
    }

    namespace detail
    {
        Tensor reduce_loss(const Tensor& elements, reduction r)
        {
            switch (r)
            {
                case reduction::none: return elements;
                case reduction::mean: return mean(elements);
                case reduction::sum: return sum(elements);
            }
            throw std::invalid_argument("loss: invalid reduction value");
        }

        void check_loss_floating(const char* op, const char* name, const Tensor& t)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(str(op, ": ", name, " must be a defined tensor, got an undefined one"));
            }
            if (t.dtype() == int64)
            {
                throw std::invalid_argument(str(op, ": ", name, " must be a float32 or float64 tensor, got int64"));
            }
        }

        void check_same_size(const char* op, const Tensor& input, const Tensor& target)
        {
            if (target.shape() != input.shape())
            {
                throw std::invalid_argument(str(op, ": target size ", shape_str(target.shape()),
                                                " must be the same as input size ", shape_str(input.shape())));
            }
        }

        void check_elementwise_target(const char* op, const Tensor& input, const Tensor& target)
        {
            check_loss_floating(op, "input", input);
            if (!target.defined())
            {
                throw std::invalid_argument(str(op, ": target must be a defined tensor, got an undefined one"));
            }
            if (target.dtype() != input.dtype())
            {
                throw std::invalid_argument(str(op, ": target must have the input's dtype ", dtype_name(input.dtype()),
                                                ", got ", dtype_name(target.dtype()), "; convert it with .to(",
                                                dtype_name(input.dtype()), ")"));
            }
            check_same_size(op, input, target);
        }

        Tensor constant_weight(const char* op, const char* name, const Tensor& weight, const Tensor& input)
        {
            if (weight.dtype() != input.dtype())
            {
                throw std::invalid_argument(str(op, ": ", name, " must have the input's dtype ", dtype_name(input.dtype()),
                                                ", got ", dtype_name(weight.dtype())));
            }
            if (weight.requires_grad())
            {
                throw std::invalid_argument(str(op, ": ", name, " must not require grad (losses do not differentiate ",
                                                "weights, as PyTorch), got one that does; pass ", name, ".detach()"));
            }
            return weight.detach();
        }
    }

    namespace
    {
        using detail::check_elementwise_target;
        using detail::reduce_loss;

        // A 0/1 mask off the graph: piecewise-constant factors are exact under double backward.
        Tensor off_graph(const Tensor& t) { return t.detach(); }

        // log(1 + e^z), stable for every z (softplus's kernel with no threshold); derivative
        // sigmoid(z), itself differentiable.
        Tensor exact_softplus(const Tensor& z)
        {
            constexpr double no_threshold = std::numeric_limits<double>::infinity();
            return detail::record(kernels::softplus(z.data(), 1.0, no_threshold), "softplus", {z},
                                  [z](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                      return {g * sigmoid(z)};
                                  });
        }

        // Whether `from` broadcasts to exactly `to` (aligned from the right, each dimension equal or 1).
        bool broadcasts_to(const shape_t& from, const shape_t& to)
        {
            if (from.size() > to.size())
            {
                return false;
            }
            for (std::size_t i = 0; i < from.size(); ++i)
            {
                const std::int64_t d = to[to.size() - from.size() + i];
                if (from[i] != d && from[i] != 1)
                {
                    return false;
                }
            }
            return true;
        }

        // weight broadcast to the input, checked: it may not grow the result beyond the input's shape.
        Tensor input_weight(const char* op, const Tensor& weight, const Tensor& input)
        {
            const Tensor w = detail::constant_weight(op, "weight", weight, input);
            if (!broadcasts_to(w.shape(), input.shape()))
            {
                throw std::invalid_argument(detail::str(op, ": weight of size ", shape_str(w.shape()),
                                                        " must broadcast to input size ", shape_str(input.shape())));
            }
            return w;
        }
    }

    Tensor mse_loss(const Tensor& input, const Tensor& target, reduction r)
    {
        check_elementwise_target("mse_loss", input, target);
        const Tensor d = input - target;
        return reduce_loss(d * d, r);
    }

    Tensor l1_loss(const Tensor& input, const Tensor& target, reduction r)
    {
        check_elementwise_target("l1_loss", input, target);
        return reduce_loss(abs(input - target), r);
    }

    Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, reduction r, double beta)
    {
        check_elementwise_target("smooth_l1_loss", input, target);
        if (!(beta >= 0.0))
        {
            throw std::invalid_argument(detail::str("smooth_l1_loss: beta must be >= 0, got ", beta));
        }
        const Tensor d = input - target;
        if (beta == 0.0)
        {
            return reduce_loss(abs(d), r);   // PyTorch's rule; the quadratic branch would divide by 0
        }
        // Quadratic where |d| < beta (strictly, as PyTorch), linear elsewhere; both branches
        // have slope sign(d) at |d| = beta, so the choice there does not matter.
        const Tensor quad = off_graph(lt(abs(d), beta));
        return reduce_loss(quad * (d * d * (0.5 / beta)) + (1.0 - quad) * (abs(d) - 0.5 * beta), r);
    }

    Tensor huber_loss(const Tensor& input, const Tensor& target, reduction r, double delta)
    {
        check_elementwise_target("huber_loss", input, target);
        if (!(delta > 0.0))
        {
            throw std::invalid_argument(detail::str("huber_loss: delta must be > 0, got ", delta));
        }
        const Tensor d = input - target;
        const Tensor quad = off_graph(lt(abs(d), delta));
        return reduce_loss(quad * (d * d * 0.5) + (1.0 - quad) * ((abs(d) - 0.5 * delta) * delta), r);
    }

    Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, reduction r)
    {
        const char* op = "binary_cross_entropy";
        check_elementwise_target(op, input, target);
        const Tensor w = weight.defined() ? input_weight(op, weight, input) : Tensor();
        {
            const array& x = input.data();
            for (std::int64_t i = 0; i < x.numel(); ++i)
            {
                const double v = x.flat(i);
                if (!(v >= 0.0 && v <= 1.0))
                {
                    throw std::invalid_argument(detail::str(op, ": all elements of input should be between 0 and 1, got ",
                                                            v, " at flat index ", i));
                }
            }
        }
        array values;
        {
            // The value, off the graph: each log clamped to >= -100 as PyTorch, so x = 0 or 1 is finite.
            no_grad_guard off;
            const Tensor x = input.detach(), t = target.detach();
            Tensor l = -(t * clamp(log(x), -100.0) + (1.0 - t) * clamp(log(1.0 - x), -100.0));
            values = (w.defined() ? l * w : l).data();
        }
        // PyTorch's backward rather than the derivative of the clamped value: the input gradient
        // divides by x (1 - x) clamped to >= 1e-12 (PyTorch's float constant, 1e-12f, whose
        // double value differs from 1e-12 by 4e-9 relative: visible at x = 0 or 1), the target
        // gradient uses the plain logs (+-inf at x = 0 or 1).
        Tensor elements = detail::record(values, op, {input, target},
            [x = input, t = target, w](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                const Tensor gw = w.defined() ? g * w : g;
                Tensor gx, gt;
                if (needs[0])
                {
                    gx = gw * (x - t) / clamp(x * (1.0 - x), static_cast<double>(1e-12f));
                }
                if (needs[1])
                {
                    gt = gw * (log(1.0 - x) - log(x));
                }
                return {gx, gt};
            },
            detail::saves::all_inputs());
        return reduce_loss(elements, r);
    }

    Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                            const Tensor& pos_weight, reduction r)
    {
        const char* op = "binary_cross_entropy_with_logits";
        check_elementwise_target(op, input, target);
        const Tensor w = weight.defined() ? input_weight(op, weight, input) : Tensor();
        // (1 - t) x + L softplus(-x): no exp of a large number anywhere, and the gradients the
        // composition gives are PyTorch's: to x, L sigmoid(x) - pos_weight t (sigmoid(x) - t
        // without pos_weight); to t, -x + (pos_weight - 1) softplus(-x).
        Tensor elements = (1.0 - target) * input;
        const Tensor sp = exact_softplus(-input);
        if (pos_weight.defined())
        {
            const Tensor pw = detail::constant_weight(op, "pos_weight", pos_weight, input);
            if (!broadcasts_to(pw.shape(), target.shape()))
            {
                throw std::invalid_argument(detail::str(op, ": pos_weight of size ", shape_str(pw.shape()),
                                                        " must broadcast to target size ", shape_str(target.shape()),
                                                        " (one value per class, along the last axis)"));
            }
            elements = elements + (1.0 + (pw - 1.0) * target) * sp;
        }
        else
        {
            elements = elements + sp;
        }
        return reduce_loss(w.defined() ? elements * w : elements, r);
    }
}
