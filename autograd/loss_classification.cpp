// Class-axis losses: nll_loss, cross_entropy (class indices or probabilities, weights,
// ignore_index, label smoothing) and dice_loss. All are compositions of differentiable ops
// over a private, stable log-softmax along axis 1 and a constant class mask
// (core/loss_kernels.hpp), so their higher-order gradients come for free. Formulas in loss.hpp.
#include <adjoint/autograd/loss_detail.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/loss_kernels.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        using detail::str;

        // log_softmax along axis 1: z - log(sum(exp(z))) with z = x - max(x). The max is a
        // constant (taken off the graph): the result does not depend on the shift, so its
        // gradient through the shift is exactly 0 and detaching it changes no derivative.
        // (Private: the public log_softmax belongs in autograd/activation.hpp.)
        Tensor log_softmax_axis1(const Tensor& x)
        {
            const Tensor z = x - max(x.detach(), 1, true);
            return z - log(sum(exp(z), {1}, true));
        }

        // `shape` without axis 1: the shape of class-index targets for (n, c, d...) inputs.
        shape_t without_class_axis(const shape_t& shape)
        {
            shape_t out = shape;
            out.erase(out.begin() + 1);
            return out;
        }

        // The row-major index tuple of flat position `flat` in `shape`, for error messages.
        std::string position_str(std::int64_t flat, const shape_t& shape) { return shape_str(unravel_index(flat, shape)); }

        // Class indices (n, d...) for an (n, c, d...) input: int64, the right shape, every value
        // in [0, c) or equal to ignore_index.
        void check_class_target(const char* op, const Tensor& input, const Tensor& target,
                                std::optional<std::int64_t> ignore_index)
        {
            if (target.dtype() != int64)
            {
                throw std::invalid_argument(str(op, ": target must be int64 class indices, got ", dtype_name(target.dtype()),
                                                "; convert it with .to(int64)"));
            }
            const shape_t expected = without_class_axis(input.shape());
            if (target.shape() != expected)
            {
                throw std::invalid_argument(str(op, ": target size ", shape_str(target.shape()), " must be the input size ",
                                                shape_str(input.shape()), " without the class axis 1, ",
                                                shape_str(expected)));
            }
            const std::int64_t classes = input.size(1);
            const std::int64_t* t = target.data().data<std::int64_t>();
            for (std::int64_t i = 0; i < target.numel(); ++i)
            {
                if ((t[i] < 0 || t[i] >= classes) && !(ignore_index && t[i] == *ignore_index))
                {
                    throw std::invalid_argument(str(op, ": target ", t[i], " is out of bounds for ", classes,
                                                    " classes at position ", position_str(i, target.shape()),
                                                    "; expected 0 <= target < ", classes,
                                                    ignore_index ? str(" or ignore_index ", *ignore_index) : ""));
                }
            }
        }

        // A per-class weight: one value per class, the input's dtype, constant.
        Tensor class_weight(const char* op, const Tensor& weight, const Tensor& input)
        {
            if (!weight.defined())
            {
                return weight;
            }
            const Tensor w = detail::constant_weight(op, "weight", weight, input);
            if (w.shape() != shape_t{input.size(1)})
            {
                throw std::invalid_argument(str(op, ": weight must hold one value per class, shape ",
                                                shape_str({input.size(1)}), ", got ", shape_str(w.shape())));
            }
            return w;
        }

        // An (n, c, d...) input, with a 0-d target for a (c) input handled by the caller.
        void check_class_input(const char* op, const char* name, const Tensor& input)
        {
            detail::check_loss_floating(op, name, input);
            if (input.dim() < 2)
            {
                throw std::invalid_argument(str(op, ": ", name, " must have shape (n, c, d...) or (c), got ",
                                                shape_str(input.shape())));
            }
        }

        // The weighted, label-smoothed negative log-likelihood of class-index targets (see
        // kernels::class_mask): -sum over classes of log_p * mask, reduced; mean divides by
        // the total weight of the non-ignored positions.
        Tensor nll_of_indices(const char* op, const Tensor& log_p, const Tensor& target, const Tensor& weight,
                              std::int64_t ignore_index, double smoothing, reduction r)
        {
            check_class_target(op, log_p, target, ignore_index);
            const Tensor w = class_weight(op, weight, log_p);
            auto m = kernels::class_mask(target.data(), log_p.size(1), w.defined() ? w.data() : array(),
                                         ignore_index, smoothing, log_p.dtype());
            const Tensor elements = -sum(log_p * Tensor(m.mask), {1});
            if (r == reduction::mean)
            {
                return sum(elements) / scalar(m.weight_sum, log_p.dtype());   // 0/0 = NaN when all are ignored
            }
            return detail::reduce_loss(elements, r);
        }

        // A (c) input with a 0-d target is one sample: (1, c) with (1), and a 0-d loss back.
        template <class F>
        Tensor one_sample_or(const Tensor& input, const Tensor& target, reduction r, F&& batched)
        {
            if (input.dim() == 1 && target.dim() == 0)
            {
                const Tensor y = batched(unsqueeze(input, 0), reshape(target, {1}));
                return r == reduction::none ? reshape(y, {}) : y;
            }
            return batched(input, target);
        }
    }

    Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, std::int64_t ignore_index,
                    reduction r)
    {
        return one_sample_or(log_probs, target, r, [&](const Tensor& x, const Tensor& t) {
            check_class_input("nll_loss", "input", x);
            return nll_of_indices("nll_loss", x, t, weight, ignore_index, 0.0, r);
        });
    }

    Tensor cross_entropy(const Tensor& logits, const Tensor& target, const cross_entropy_options& options)
    {
        const char* op = "cross_entropy";
        const double e = options.label_smoothing();
        if (!(e >= 0.0 && e <= 1.0))
        {
            throw std::invalid_argument(str(op, ": label_smoothing must be in [0, 1], got ", e));
        }
        const reduction r = options.reduction();
        return one_sample_or(logits, target, r, [&](const Tensor& x, const Tensor& t) {
            check_class_input(op, "input", x);
            if (t.dtype() == int64)
            {
                return nll_of_indices(op, log_softmax_axis1(x), t, options.weight(), options.ignore_index(), e, r);
            }
            // Probabilities: the logits' shape and dtype.
            if (t.shape() != x.shape())
            {
                throw std::invalid_argument(str(op, ": target must be int64 class indices of size ",
                                                shape_str(without_class_axis(x.shape())), " or ", dtype_name(x.dtype()),
                                                " class probabilities of the input size ", shape_str(x.shape()),
                                                ", got ", dtype_name(t.dtype()), " of size ", shape_str(t.shape())));
            }
            detail::check_elementwise_target(op, x, t);
            const Tensor w = class_weight(op, options.weight(), x);
            const double c = static_cast<double>(x.size(1));
            const Tensor smoothed = e > 0.0 ? t * (1.0 - e) + e / c : t;
            Tensor picked = log_softmax_axis1(x) * smoothed;
            if (w.defined())
            {
                shape_t along_classes(static_cast<std::size_t>(x.dim()), 1);
                along_classes[1] = x.size(1);
                picked = picked * reshape(w, along_classes);
            }
            // mean: over the positions (n * d...), whatever the weights.
            return detail::reduce_loss(-sum(picked, {1}), r);
        });
    }

    Tensor dice_loss(const Tensor& logits, const Tensor& target, const dice_loss_options& options)
    {
        const char* op = "dice_loss";
        const double s = options.smooth();
        if (!(s >= 0.0))
        {
            throw std::invalid_argument(str(op, ": smooth must be >= 0, got ", s));
        }
        detail::check_loss_floating(op, "input", logits);
        if (logits.dim() < 1)
        {
            throw std::invalid_argument(str(op, ": input must have a batch axis, shape (n, ...), got shape ()"));
        }
        Tensor p, t;
        std::vector<std::int64_t> axes;   // summed per sample (binary) or per sample and class
        if (target.dtype() == int64)
        {
            check_class_input(op, "input", logits);
            check_class_target(op, logits, target, std::nullopt);
            p = exp(log_softmax_axis1(logits));
            t = Tensor(kernels::class_mask(target.data(), logits.size(1), array(), std::nullopt, 0.0, logits.dtype()).mask);
            for (std::int64_t a = 2; a < logits.dim(); ++a)
            {
                axes.push_back(a);
            }
        }
        else
        {
            if (target.dtype() == logits.dtype() && target.shape() != logits.shape())
            {
                throw std::invalid_argument(str(op, ": target size ", shape_str(target.shape()),
                                                " must be the same as input size ", shape_str(logits.shape()),
                                                " (int64 class indices select the multi-class form)"));
            }
            detail::check_elementwise_target(op, logits, target);
            p = sigmoid(logits);
            t = target;
            for (std::int64_t a = 1; a < logits.dim(); ++a)
            {
                axes.push_back(a);
            }
        }
        const Tensor intersection = sum(p * t, axes);
        const Tensor cardinality = sum(p, axes) + sum(t, axes);
        Tensor dice = (2.0 * intersection + s) / (cardinality + s);
        if (target.dtype() == int64)
        {
            dice = mean(dice, {1});   // the mean over classes, per sample
        }
        return detail::reduce_loss(1.0 - dice, options.reduction());
    }
}
