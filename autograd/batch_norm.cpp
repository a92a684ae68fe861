// batch_norm (see batch_norm.hpp): validation, the running-stat update, and one recorded op
// whose forward is core/batch_norm_kernels and whose backward, right under it, is written with
// differentiable ops. Training's backward recomputes the batch statistics from x with
// differentiable ops when it is itself being recorded (create_graph), so the second
// derivative sees their dependence on x; otherwise it uses the forward's values.
#include <adjoint/autograd/batch_norm.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/reduce.hpp>
#include <adjoint/autograd/shape_ops.hpp>
#include <adjoint/core/batch_norm_kernels.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // The per-channel [C] tensors as [1, C, 1, ...], to broadcast against x.
        shape_t column_shape(const shape_t& xs)
        {
            shape_t column(xs.size(), 1);
            column[1] = xs[1];
            return column;
        }

        std::vector<std::int64_t> reduced_axes(std::int64_t dim)
        {
            std::vector<std::int64_t> axes{0};
            for (std::int64_t a = 2; a < dim; ++a)
            {
                axes.push_back(a);
            }
            return axes;
        }

        void check_channel_tensor(const Tensor& t, const char* name, const Tensor& x)
        {
            if (t.defined() && t.shape() != shape_t{x.size(1)})
            {
                throw std::invalid_argument(detail::str("batch_norm: expected ", name, " of shape ",
                                                        shape_str({x.size(1)}), " for an input with ", x.size(1),
                                                        " channels (input size ", shape_str(x.shape()), "), got ",
                                                        shape_str(t.shape())));
            }
        }

        void check_arguments(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                             const Tensor& weight, const Tensor& bias, bool training)
        {
            if (!x.defined())
            {
                throw std::invalid_argument("batch_norm: expected an input tensor, got an undefined one");
            }
            if (x.dim() < 2)
            {
                throw std::invalid_argument(detail::str("batch_norm: expected an input of at least 2 dimensions ",
                                                        "[N, C, ...], got size ", shape_str(x.shape())));
            }
            if (running_mean.defined() != running_var.defined())
            {
                throw std::invalid_argument(
                    detail::str("batch_norm: expected running_mean and running_var both given or both undefined, got ",
                                running_mean.defined() ? "running_mean only" : "running_var only"));
            }
            if (!training && !running_mean.defined())
            {
                throw std::invalid_argument(
                    "batch_norm: expected running_mean and running_var in evaluation mode (training = false), got "
                    "none; pass training = true to normalise with the batch statistics");
            }
            detail::check_same_dtype("batch_norm", {x, running_mean, running_var, weight, bias});
            check_channel_tensor(running_mean, "running_mean", x);
            check_channel_tensor(running_var, "running_var", x);
            check_channel_tensor(weight, "weight", x);
            check_channel_tensor(bias, "bias", x);
            const std::int64_t per_channel = x.size(1) != 0 ? x.numel() / x.size(1) : 0;
            if (training && per_channel <= 1)
            {
                throw std::invalid_argument(detail::str("batch_norm: expected more than 1 value per channel when ",
                                                        "training, got input size ", shape_str(x.shape())));
            }
        }

        // factor of the running-stat update: momentum, or 1 / num_batches_tracked for nullopt.
        double update_factor(std::optional<double> momentum, const Tensor& num_batches_tracked)
        {
            if (momentum)
            {
                return *momentum;
            }
            if (!num_batches_tracked.defined() || num_batches_tracked.numel() != 1)
            {
                throw std::invalid_argument(detail::str(
                    "batch_norm: momentum = nullopt (a cumulative average) needs num_batches_tracked, a one-element "
                    "count of the batches seen including this one, got ",
                    num_batches_tracked.defined() ? "size " + shape_str(num_batches_tracked.shape()) : "none"));
            }
            const double count = num_batches_tracked.item();
            if (!(count >= 1.0))
            {
                throw std::invalid_argument(detail::str("batch_norm: num_batches_tracked must count this batch too ",
                                                        "(>= 1) when momentum = nullopt, got ", count));
            }
            return 1.0 / count;
        }

        // Batch statistics as [1, C, 1, ...] tensors: mean and 1/sqrt(var + eps).
        struct normaliser
        {
            Tensor mean, invstd;
        };

        normaliser batch_normaliser(const Tensor& x, const std::vector<std::int64_t>& axes, double eps)
        {
            const Tensor mu = mean(x, axes, true);
            const Tensor centred = x - mu;
            return {mu, pow(mean(centred * centred, axes, true) + eps, -0.5)};
        }
    }

    Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                      const Tensor& bias, bool training, std::optional<double> momentum, double eps,
                      const Tensor& num_batches_tracked)
    {
        check_arguments(x, running_mean, running_var, weight, bias, training);
        const shape_t column = column_shape(x.shape());
        const std::vector<std::int64_t> axes = reduced_axes(x.dim());
        detail::saves saved = detail::saves::only({0, 1});   // x (for x-hat) and weight

        if (!training)
        {
            // Private copies: the buffers may be updated in place before this backward runs.
            const Tensor rm(running_mean.data().clone().reshaped(column));
            const Tensor invstd = pow(Tensor(running_var.data().clone().reshaped(column)) + eps, -0.5);
            array y = kernels::batch_norm_transform(x.data(), running_mean.data(), running_var.data(),
                                                    weight.defined() ? weight.data() : array(),
                                                    bias.defined() ? bias.data() : array(), eps);
            return detail::record(
                std::move(y), "batch_norm", {x, weight, bias},
                [x, weight, rm, invstd, column, axes](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                    // y = (x - rm) * invstd * w + b: affine in x, bilinear in (x, w).
                    Tensor gx, gw, gb;
                    if (needs[0])
                    {
                        gx = weight.defined() ? g * (reshape(weight, column) * invstd) : g * invstd;
                    }
                    if (needs[1])
                    {
                        gw = sum(g * ((x - rm) * invstd), axes);
                    }
                    if (needs[2])
                    {
                        gb = sum(g, axes);
                    }
                    return {gx, gw, gb};
                },
                saved);
        }

        const kernels::channel_moments_result stats = kernels::channel_moments(x.data());
        if (running_mean.defined())
        {
            const double factor = update_factor(momentum, num_batches_tracked);
            no_grad_guard off;
            Tensor rm = running_mean, rv = running_var;   // handles: the caller's buffers change
            rm.mul_(1.0 - factor).add_(Tensor(stats.mean), factor);
            rv.mul_(1.0 - factor).add_(Tensor(stats.var_unbiased), factor);
        }
        array y = kernels::batch_norm_transform(x.data(), stats.mean, stats.var,
                                                weight.defined() ? weight.data() : array(),
                                                bias.defined() ? bias.data() : array(), eps);
        const Tensor saved_mean(stats.mean.reshaped(column));
        const Tensor saved_invstd = [&] {
            no_grad_guard off;
            return pow(Tensor(stats.var.reshaped(column)) + eps, -0.5);
        }();
        return detail::record(
            std::move(y), "batch_norm", {x, weight, bias},
            [x, weight, saved_mean, saved_invstd, column, axes, eps](const Tensor& g,
                                                                    const std::vector<bool>& needs) -> tensor_list {
                // With x-hat = (x - mean) * invstd and gh = g * w (the gradient reaching x-hat):
                //   gx = invstd * (gh - mean(gh) - x-hat * mean(gh * x-hat)),
                //   gw = sum(g * x-hat), gb = sum(g), means and sums over every axis but C.
                const normaliser n = is_grad_enabled() ? batch_normaliser(x, axes, eps)
                                                       : normaliser{saved_mean, saved_invstd};
                Tensor gx, gw, gb;
                if (needs[0] || needs[1])
                {
                    const Tensor xhat = (x - n.mean) * n.invstd;
                    if (needs[0])
                    {
                        const Tensor gh = weight.defined() ? g * reshape(weight, column) : g;
                        gx = n.invstd * (gh - mean(gh, axes, true) - xhat * mean(gh * xhat, axes, true));
                    }
                    if (needs[1])
                    {
                        gw = sum(g * xhat, axes);
                    }
                }
                if (needs[2])
                {
                    gb = sum(g, axes);
                }
                return {gx, gw, gb};
            },
            saved);
    }
}
