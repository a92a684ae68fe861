// Loss functions with PyTorch 1.13's semantics (torch.nn.functional names and defaults), each
// with a `reduction` of none (per-element losses), mean or sum. Targets must have exactly the
// shape the loss expects: a mismatch is an error naming both shapes, never a broadcast
// (PyTorch broadcasts mse_loss & co. with a warning). Gradients flow to the input and, where
// PyTorch gives one, to the target (mse, l1, smooth_l1, huber, both BCEs, probability targets
// of cross_entropy, the binary dice target); class weights and pos_weight are constants and
// must not require grad (as in PyTorch). Every backward is written with differentiable ops,
// so double backward works. dice_loss is not in PyTorch; its formula is below.
// Metrics without gradients (IoU, accuracy) are in layers/metrics.hpp, not here.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace adjoint
{
    // How per-element losses are combined: kept (none), averaged (mean, PyTorch's default;
    // weighted losses divide by the total weight, see cross_entropy) or added (sum).
    enum class reduction
    {
        none,
        mean,
        sum
    };

    std::string reduction_name(reduction r);   // "none", "mean", "sum": PyTorch's spelling

    // ---- regression: input and target of one shape, any dtype-matched floating tensors ----

    // (x - y)^2
    Tensor mse_loss(const Tensor& input, const Tensor& target, reduction r = reduction::mean);
    // |x - y|; gradient sign(x - y), 0 at x = y
    Tensor l1_loss(const Tensor& input, const Tensor& target, reduction r = reduction::mean);
    // d = x - y: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is l1_loss; beta >= 0
    Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, reduction r = reduction::mean,
                          double beta = 1.0);
    // d = x - y: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); delta > 0
    Tensor huber_loss(const Tensor& input, const Tensor& target, reduction r = reduction::mean, double delta = 1.0);

    // ---- binary classification: input and target of one shape, floating ----

    // -w [t log(x) + (1 - t) log(1 - x)] with each log clamped to >= -100 (so x = 0 or 1 is
    // finite), as PyTorch. input must lie in [0, 1]. weight (optional) broadcasts to the input.
    // Gradients as PyTorch's: to x, w (x - t) / max(x (1 - x), 1e-12); to t, w (log(1 - x) - log x).
    Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                reduction r = reduction::mean);

    // From logits x, stable for any |x|: with L = 1 + (pos_weight - 1) t (L = 1 without pos_weight)
    //   w [(1 - t) x + L softplus(-x)],   softplus(z) = max(z, 0) + log1p(e^-|z|)
    // which is -w [pos_weight t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]. weight broadcasts
    // to the input; pos_weight (one per class, the last axis) broadcasts to the target.
    Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                            const Tensor& pos_weight = {}, reduction r = reduction::mean);

    // ---- multi-class: class axis 1 ----

    // nll_loss(log_probs, target): log_probs (n, c, d...) (or (c) with a 0-d target), target
    // int64 (n, d...) with values in [0, c) or ignore_index. Loss at each position: -w[t] log_p[t],
    // 0 where t == ignore_index. mean divides by the sum of w[t] over non-ignored positions
    // (their count without weights); all positions ignored gives NaN, as PyTorch.
    Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = {},
                    std::int64_t ignore_index = -100, reduction r = reduction::mean);

    // cross_entropy_options().weight(w).ignore_index(255).label_smoothing(0.1).reduction(reduction::sum)
    class cross_entropy_options
    {
    public:
        cross_entropy_options& weight(const Tensor& w) { m_weight = w; return *this; }   // one per class
        cross_entropy_options& ignore_index(std::int64_t i) { m_ignore_index = i; return *this; }
        cross_entropy_options& label_smoothing(double e) { m_label_smoothing = e; return *this; }   // in [0, 1]
        cross_entropy_options& reduction(adjoint::reduction r) { m_reduction = r; return *this; }

        const Tensor& weight() const { return m_weight; }
        std::int64_t ignore_index() const { return m_ignore_index; }
        double label_smoothing() const { return m_label_smoothing; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        Tensor m_weight;
        std::int64_t m_ignore_index = -100;
        double m_label_smoothing = 0.0;
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };

    // cross_entropy(logits, target): logits (n, c, d...) (or (c)), log-softmax over axis 1, then
    //  - int64 class indices (n, d...): nll_loss of it, with label smoothing e as PyTorch:
    //    (1 - e) nll + (e / c) sum_k -w[k] log_p[k] per position, ignored positions 0, and mean
    //    dividing both terms by the sum of w[t] over non-ignored positions;
    //  - float probabilities of the logits' shape: -sum_k w[k] t'[k] log_p[k] with
    //    t' = (1 - e) t + e / c, mean dividing by the number of positions (n * d...), ignore_index unused.
    Tensor cross_entropy(const Tensor& logits, const Tensor& target, const cross_entropy_options& options = {});

    // dice_loss_options().smooth(1.0).reduction(reduction::mean)
    class dice_loss_options
    {
    public:
        dice_loss_options& smooth(double s) { m_smooth = s; return *this; }   // >= 0
        dice_loss_options& reduction(adjoint::reduction r) { m_reduction = r; return *this; }

        double smooth() const { return m_smooth; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        double m_smooth = 1.0;
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };

    // Soft Dice loss from logits, one value per sample i (axis 0), then reduced over the batch:
    //  - binary, float target of the logits' shape ((n, 1, h, w), (n, h, w), any (n, ...)):
    //      p = sigmoid(x), I = sum p t, S = sum p + sum t over every axis but 0,
    //      loss_i = 1 - (2 I + smooth) / (S + smooth)
    //  - multi-class, int64 target (n, d...) for logits (n, c, d...): p = softmax over axis 1,
    //    t = one_hot(target) along axis 1, I_k and S_k per class over the spatial axes,
    //      loss_i = 1 - (1/c) sum_k (2 I_k + smooth) / (S_k + smooth)
    //    (a class absent from both prediction and target scores 1 when smooth > 0).
    // With smooth = 0 an empty sample (or class) gives 0/0 = NaN. reduction none gives (n).
    Tensor dice_loss(const Tensor& logits, const Tensor& target, const dice_loss_options& options = {});
}
