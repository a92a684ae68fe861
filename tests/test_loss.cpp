// Losses: hand-worked values, float64 gradcheck of every loss (input and target gradients),
// gradgradcheck of bce_with_logits, cross_entropy, mse, smooth_l1 and dice, stability at huge
// logits, a float32 check, and every bad-argument message verbatim. PyTorch goldens are in
// test_loss_golden.cpp.
#include "golden_helpers.hpp"

#include <cmath>

using namespace adjoint;
using namespace golden;

namespace
{
    Tensor labels(const nested_values& values) { return tensor(values, float64).to(int64); }
    Tensor grad_of(const Tensor& y, const Tensor& x) { return grad({y}, {x})[0]; }
    const double ln2 = std::log(2.0), ln3 = std::log(3.0), ln4 = std::log(4.0);
} // namespace

// ---- hand-worked values ----

TEST(Loss, RegressionValuesAndReductions)
{
    const Tensor x = tensor({1.0, 2.0, 3.0, -1.0}, float64), t = tensor({1.0, 0.0, 5.0, -0.5}, float64);
    EXPECT_TENSOR_NEAR(mse_loss(x, t, reduction::none), tensor({0.0, 4.0, 4.0, 0.25}, float64), 0.0, 0.0);
    EXPECT_DOUBLE_EQ(mse_loss(x, t).item(), 8.25 / 4.0);
    EXPECT_DOUBLE_EQ(mse_loss(x, t, reduction::sum).item(), 8.25);
    EXPECT_TENSOR_NEAR(l1_loss(x, t, reduction::none), tensor({0.0, 2.0, 2.0, 0.5}, float64), 0.0, 0.0);
    // beta 1: |d| = 2 is linear (2 - 0.5), |d| = 0.5 quadratic (0.5 * 0.25).
    EXPECT_TENSOR_NEAR(smooth_l1_loss(x, t, reduction::none), tensor({0.0, 1.5, 1.5, 0.125}, float64), 0.0, 0.0);
    // delta 3: everything quadratic; delta 1 is smooth_l1 with beta 1 times delta.
    EXPECT_TENSOR_NEAR(huber_loss(x, t, reduction::none, 3.0), tensor({0.0, 2.0, 2.0, 0.125}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(huber_loss(x, t, reduction::none, 0.5), tensor({0.0, 0.875, 0.875, 0.125}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(smooth_l1_loss(x, t, reduction::none, 0.0), l1_loss(x, t, reduction::none), 0.0, 0.0);
    EXPECT_TRUE(std::isnan(mse_loss(zeros({0}, float64), zeros({0}, float64)).item()));   // mean of nothing
}

TEST(Loss, BceWithLogitsIsFiniteAndExactAtHugeLogits)
{
    Tensor x = tensor({-1000.0, 1000.0, 0.0, 1000.0, -1000.0}, float64).requires_grad_();
    const Tensor t = tensor({1.0, 0.0, 1.0, 1.0, 0.0}, float64);
    const Tensor l = binary_cross_entropy_with_logits(x, t, {}, {}, reduction::none);
    EXPECT_TENSOR_NEAR(l, tensor({1000.0, 1000.0, ln2, 0.0, 0.0}, float64), 0.0, 1e-15);
    // d/dx = sigmoid(x) - t
    EXPECT_TENSOR_NEAR(grad_of(sum(l), x), tensor({-1.0, 1.0, -0.5, 0.0, 0.0}, float64), 0.0, 0.0);
    // With pos_weight 3: L = 1 + 2t, so the t = 1 terms triple.
    const Tensor lp = binary_cross_entropy_with_logits(x, t, {}, tensor({3.0}, float64), reduction::none);
    EXPECT_TENSOR_NEAR(lp, tensor({3000.0, 1000.0, 3 * ln2, 0.0, 0.0}, float64), 0.0, 1e-15);
    // Second derivative sigmoid(x) (1 - sigmoid(x)) = 1/4 at 0, through create_graph.
    Tensor z = tensor({0.0}, float64).requires_grad_();
    const Tensor g = grad({binary_cross_entropy_with_logits(z, tensor({1.0}, float64))}, {z}, {}, false, true)[0];
    EXPECT_DOUBLE_EQ(grad_of(sum(g), z).item(), 0.25);
}

TEST(Loss, BinaryCrossEntropyClampsLogsAtMinus100)
{
    const Tensor p = tensor({0.0, 1.0, 0.5, 1.0}, float64), t = tensor({1.0, 0.0, 1.0, 1.0}, float64);
    EXPECT_TENSOR_NEAR(binary_cross_entropy(p, t, {}, reduction::none), tensor({100.0, 100.0, ln2, 0.0}, float64), 0.0,
                       1e-15);
    EXPECT_TENSOR_NEAR(binary_cross_entropy(p, t, tensor({2.0, 1.0, 1.0, 1.0}, float64), reduction::sum),
                       scalar(300.0 + ln2, float64), 0.0, 1e-15);
}

TEST(Loss, CrossEntropyWeightedMeanDividesBySumOfTargetWeights)
{
    // Row 0: uniform over 3 classes (nll log 3); row 1: softmax (1/2, 1/4, 1/4), target 2 (nll log 4).
    const Tensor x = tensor({{0.0, 0.0, 0.0}, {ln2, 0.0, 0.0}}, float64);
    const Tensor t = labels({0, 2});
    const Tensor w = tensor({1.0, 2.0, 3.0}, float64);
    EXPECT_NEAR(cross_entropy(x, t).item(), (ln3 + ln4) / 2.0, 1e-15);
    EXPECT_NEAR(cross_entropy(x, t, cross_entropy_options().weight(w)).item(), (ln3 + 3.0 * ln4) / 4.0, 1e-15);
    EXPECT_NEAR(cross_entropy(x, t, cross_entropy_options().weight(w).reduction(reduction::sum)).item(),
                ln3 + 3.0 * ln4, 1e-15);
    // An ignored row counts in neither the sum nor the divisor, and gets no gradient.
    Tensor xi = x.detach().requires_grad_();
    const Tensor li = cross_entropy(xi, labels({-100, 2}), cross_entropy_options().weight(w));
    EXPECT_NEAR(li.item(), ln4, 1e-15);
    const Tensor gi = grad_of(li, xi);
    EXPECT_TENSOR_NEAR(gi, tensor({{0.0, 0.0, 0.0}, {0.5, 0.25, -0.75}}, float64), 0.0, 1e-15);
    // Every position ignored: 0/0, as PyTorch.
    EXPECT_TRUE(std::isnan(cross_entropy(x, labels({-100, -100})).item()));
    // Label smoothing e: (1 - e) nll + e/c * sum_k -log p_k. Row 1 with e = 0.3:
    const double smooth = 0.7 * ln4 + 0.1 * (ln2 + ln4 + ln4);
    EXPECT_NEAR(cross_entropy(x, t, cross_entropy_options().label_smoothing(0.3).reduction(reduction::none)).to_vector()[1],
                smooth, 1e-15);
}

TEST(Loss, NllLossPicksTheTargetLogProbability)
{
    const Tensor lp = tensor({{-1.0, -2.0, -3.0}, {-0.5, -4.0, -0.25}}, float64);
    EXPECT_TENSOR_NEAR(nll_loss(lp, labels({2, 1}), {}, -100, reduction::none), tensor({3.0, 4.0}, float64), 0.0, 0.0);
    EXPECT_DOUBLE_EQ(nll_loss(lp, labels({2, 1}), tensor({1.0, 3.0, 1.0}, float64)).item(), (3.0 + 12.0) / 4.0);
    // A (c) input with a 0-d target is one sample.
    EXPECT_DOUBLE_EQ(nll_loss(tensor({-1.0, -2.0}, float64), labels(1)).item(), 2.0);
}

TEST(Loss, DiceHandWorked)
{
    // Binary: logits 0 give p = 1/2; target (1, 0, 1, 1): I = 3/2, S = 2 + 3 = 5,
    // dice = (2 * 3/2 + 1) / (5 + 1) = 2/3.
    const Tensor x = zeros({1, 1, 2, 2}, float64);
    EXPECT_NEAR(dice_loss(x, tensor({{{{1.0, 0.0}, {1.0, 1.0}}}}, float64)).item(), 1.0 / 3.0, 1e-15);
    // smooth 0: (2 * 3/2) / 5.
    EXPECT_NEAR(dice_loss(x, tensor({{{{1.0, 0.0}, {1.0, 1.0}}}}, float64), dice_loss_options().smooth(0.0)).item(),
                1.0 - 3.0 / 5.0, 1e-15);
    // Multi-class, c = 2 over 2 pixels, both of class 0: p = 1/2 everywhere.
    // Class 0: I = 1, S = 1 + 2, (2 + 1)/(3 + 1) = 3/4; class 1: I = 0, S = 1, 1/2. Mean 5/8.
    const Tensor xm = zeros({1, 2, 2}, float64);
    EXPECT_NEAR(dice_loss(xm, labels({{0, 0}})).item(), 3.0 / 8.0, 1e-15);
    // Per sample with reduction none, then the batch mean and sum.
    const Tensor x2 = zeros({2, 1, 2}, float64), t2 = tensor({{{1.0, 1.0}}, {{0.0, 0.0}}}, float64);
    // Sample 0: I = 1, S = 3: 1 - 3/4. Sample 1: I = 0, S = 1: 1 - 1/2.
    EXPECT_TENSOR_NEAR(dice_loss(x2, t2, dice_loss_options().reduction(reduction::none)), tensor({0.25, 0.5}, float64),
                       0.0, 1e-15);
    EXPECT_NEAR(dice_loss(x2, t2).item(), 0.375, 1e-15);
    EXPECT_NEAR(dice_loss(x2, t2, dice_loss_options().reduction(reduction::sum)).item(), 0.75, 1e-15);
}

TEST(Loss, Float32MatchesFloat64)
{
    const Tensor x = irregular({4, 3, 2}, -3.0, 3.0).detach(), t = labels({{0, 2}, {1, 1}, {2, 0}, {0, 1}});
    const auto options = cross_entropy_options().label_smoothing(0.1);
    EXPECT_NEAR(cross_entropy(x.to(float32), t, options).item(), cross_entropy(x, t, options).item(), 1e-5);
    const Tensor p = irregular({4, 3, 2}, 0.0, 1.0).detach();
    EXPECT_NEAR(binary_cross_entropy_with_logits(x.to(float32), p.to(float32)).item(),
                binary_cross_entropy_with_logits(x, p).item(), 1e-5);
    EXPECT_NEAR(dice_loss(x.to(float32), t).item(), dice_loss(x, t).item(), 1e-5);
    EXPECT_EQ(cross_entropy(x.to(float32), t).dtype(), float32);
}

// ---- gradcheck and gradgradcheck ----

TEST(LossGradcheck, Regression)
{
    const Tensor x = irregular({3, 4}, -2.0, 2.0), t = irregular({3, 4}, -1.3, 1.7);
    for (reduction r : {reduction::none, reduction::mean, reduction::sum})
    {
        EXPECT_GRADCHECK([r](const tensor_list& in) { return mse_loss(in[0], in[1], r); }, {x, t});
        EXPECT_GRADCHECK([r](const tensor_list& in) { return l1_loss(in[0], in[1], r); }, {x, t});
        EXPECT_GRADCHECK([r](const tensor_list& in) { return smooth_l1_loss(in[0], in[1], r, 0.7); }, {x, t});
        EXPECT_GRADCHECK([r](const tensor_list& in) { return huber_loss(in[0], in[1], r, 0.8); }, {x, t});
    }
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return mse_loss(in[0], in[1]); }, {x, t});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return smooth_l1_loss(in[0], in[1], reduction::sum, 0.7); }, {x, t});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return huber_loss(in[0], in[1], reduction::mean, 0.8); }, {x, t});
}

TEST(LossGradcheck, BinaryCrossEntropies)
{
    const Tensor x = irregular({2, 1, 2, 3}, -3.0, 3.0), t = irregular({2, 1, 2, 3}, 0.05, 0.95);
    const Tensor w = irregular({3}, 0.5, 2.0).detach(), pw = irregular({3}, 0.5, 3.0).detach();
    for (reduction r : {reduction::none, reduction::mean, reduction::sum})
    {
        EXPECT_GRADCHECK([r](const tensor_list& in) { return binary_cross_entropy_with_logits(in[0], in[1], {}, {}, r); },
                         {x, t});
        EXPECT_GRADCHECK(
            [=](const tensor_list& in) { return binary_cross_entropy_with_logits(in[0], in[1], w, pw, r); },
            {x, t});
    }
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return binary_cross_entropy_with_logits(in[0], in[1]); }, {x, t});
    EXPECT_GRADGRADCHECK([=](const tensor_list& in) { return binary_cross_entropy_with_logits(in[0], in[1], w, pw); },
                         {x, t});
    const Tensor p = irregular({2, 1, 2, 3}, 0.05, 0.95);
    const Tensor tb = irregular({2, 1, 2, 3}, 0.0, 1.0);
    EXPECT_GRADCHECK([w](const tensor_list& in) { return binary_cross_entropy(in[0], in[1], w); }, {p, tb});
    EXPECT_GRADCHECK([](const tensor_list& in) { return binary_cross_entropy(in[0], in[1], {}, reduction::none); },
                     {p, tb});
    EXPECT_GRADGRADCHECK([w](const tensor_list& in) { return binary_cross_entropy(in[0], in[1], w); }, {p, tb});
}

TEST(LossGradcheck, CrossEntropyAndNll)
{
    const Tensor x = irregular({4, 3}, -2.0, 2.0), t = labels({2, -100, 0, 1});
    const Tensor w = irregular({3}, 0.3, 2.0).detach();
    for (reduction r : {reduction::none, reduction::mean, reduction::sum})
    {
        const auto o = cross_entropy_options().weight(w).label_smoothing(0.2).reduction(r);
        EXPECT_GRADCHECK([=](const tensor_list& in) { return cross_entropy(in[0], t, o); }, {x});
        EXPECT_GRADCHECK([=](const tensor_list& in) { return nll_loss(in[0], t, w, -100, r); }, {x});
    }
    const Tensor x4 = irregular({2, 3, 2, 2}, -2.0, 2.0), t4 = labels({{{0, 2}, {1, 1}}, {{2, 0}, {1, 0}}});
    const auto o4 = cross_entropy_options().weight(w).ignore_index(1).label_smoothing(0.1);
    EXPECT_GRADCHECK([=](const tensor_list& in) { return cross_entropy(in[0], t4, o4); }, {x4});
    EXPECT_GRADGRADCHECK([=](const tensor_list& in) { return cross_entropy(in[0], t4, o4); }, {x4});
    EXPECT_GRADGRADCHECK([t](const tensor_list& in) { return cross_entropy(in[0], t); }, {x});
    // Probability targets: a gradient to the target as well.
    const Tensor probs = irregular({4, 3}, 0.0, 1.0);
    EXPECT_GRADCHECK([w](const tensor_list& in) {
        return cross_entropy(in[0], in[1], cross_entropy_options().weight(w).label_smoothing(0.1));
    }, {x, probs});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return cross_entropy(in[0], in[1]); }, {x, probs});
}

TEST(LossGradcheck, Dice)
{
    const Tensor x = irregular({2, 1, 3, 2}, -2.0, 2.0), t = irregular({2, 1, 3, 2}, 0.0, 1.0);
    EXPECT_GRADCHECK([](const tensor_list& in) { return dice_loss(in[0], in[1]); }, {x, t});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) {
        return dice_loss(in[0], in[1], dice_loss_options().smooth(0.5).reduction(reduction::none));
    }, {x, t});
    const Tensor xm = irregular({2, 3, 2, 2}, -2.0, 2.0), tm = labels({{{0, 2}, {1, 1}}, {{2, 0}, {0, 0}}});
    EXPECT_GRADCHECK([tm](const tensor_list& in) { return dice_loss(in[0], tm); }, {xm});
    EXPECT_GRADGRADCHECK([tm](const tensor_list& in) {
        return dice_loss(in[0], tm, dice_loss_options().reduction(reduction::sum));
    }, {xm});
}

// ---- bad arguments ----

TEST(LossErrors, TargetShapeIsNeverBroadcast)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: target size (16, 32, 32) must be the same as input size "
                         "(16, 1, 32, 32)",
                         binary_cross_entropy_with_logits(zeros({16, 1, 32, 32}), zeros({16, 32, 32})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "mse_loss: target size (3, 1) must be the same as input size (3, 4)",
                         mse_loss(zeros({3, 4}), zeros({3, 1})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "l1_loss: target size (4,) must be the same as input size (3, 4)",
                         l1_loss(zeros({3, 4}), zeros({4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy: target size (2,) must be the same as input size (2, 1)",
                         binary_cross_entropy(zeros({2, 1}), zeros({2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cross_entropy: target size (2, 4) must be the input size (2, 3, 4, 5) without the class "
                         "axis 1, (2, 4, 5)",
                         cross_entropy(zeros({2, 3, 4, 5}), zeros({2, 4}, int64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "dice_loss: target size (2, 4, 4) must be the same as input size (2, 3, 4, 4) (int64 class "
                         "indices select the multi-class form)",
                         dice_loss(zeros({2, 3, 4, 4}), zeros({2, 4, 4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "nll_loss: target size (3,) must be the input size (2, 3) without the class axis 1, (2,)",
                         nll_loss(zeros({2, 3}), zeros({3}, int64)));
}

TEST(LossErrors, TargetDtypes)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: target must have the input's dtype float32, got int64; "
                         "convert it with .to(float32)",
                         binary_cross_entropy_with_logits(zeros({4}), zeros({4}, int64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "mse_loss: target must have the input's dtype float64, got float32; convert it with "
                         ".to(float64)",
                         mse_loss(zeros({4}, float64), zeros({4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cross_entropy: target must be int64 class indices of size (4,) or float32 class "
                         "probabilities of the input size (4, 3), got float32 of size (4,)",
                         cross_entropy(zeros({4, 3}), zeros({4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "nll_loss: target must be int64 class indices, got float32; convert it with .to(int64)",
                         nll_loss(zeros({4, 3}), zeros({4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "mse_loss: input must be a float32 or float64 tensor, got int64",
                         mse_loss(zeros({4}, int64), zeros({4}, int64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "cross_entropy: input must be a float32 or float64 tensor, got int64",
                         cross_entropy(zeros({4, 3}, int64), zeros({4}, int64)));
}

TEST(LossErrors, ClassIndicesOutOfRange)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cross_entropy: target 5 is out of bounds for 3 classes at position (2,); expected 0 <= "
                         "target < 3 or ignore_index -100",
                         cross_entropy(zeros({4, 3}), labels({0, 1, 5, 2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cross_entropy: target -1 is out of bounds for 3 classes at position (1, 0, 1); expected 0 "
                         "<= target < 3 or ignore_index 255",
                         cross_entropy(zeros({2, 3, 2, 2}), labels({{{0, 1}, {2, 255}}, {{0, -1}, {1, 1}}}),
                                       cross_entropy_options().ignore_index(255)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "nll_loss: target 3 is out of bounds for 3 classes at position (1,); expected 0 <= target "
                         "< 3 or ignore_index -100",
                         nll_loss(zeros({2, 3}), labels({0, 3})));
    // dice_loss has no ignore_index, so -100 is out of range there.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "dice_loss: target -100 is out of bounds for 2 classes at position (0, 1); expected 0 <= "
                         "target < 2",
                         dice_loss(zeros({1, 2, 2}), labels({{0, -100}})));
}

TEST(LossErrors, Weights)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cross_entropy: weight must hold one value per class, shape (3,), got (4,)",
                         cross_entropy(zeros({4, 3}), labels({0, 1, 1, 2}), cross_entropy_options().weight(ones({4}))));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "nll_loss: weight must have the input's dtype float32, got float64",
                         nll_loss(zeros({4, 3}), labels({0, 1, 1, 2}), ones({3}, float64)));
    Tensor w = ones({3}).requires_grad_();
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy: weight must not require grad (losses do not differentiate weights, as "
                         "PyTorch), got one that does; pass weight.detach()",
                         binary_cross_entropy(full({2, 3}, 0.5), zeros({2, 3}), w));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: pos_weight must not require grad (losses do not "
                         "differentiate weights, as PyTorch), got one that does; pass pos_weight.detach()",
                         binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), {}, w));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: pos_weight of size (2,) must broadcast to target size "
                         "(2, 3) (one value per class, along the last axis)",
                         binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), {}, ones({2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: weight of size (2, 2, 3) must broadcast to input size (2, 3)",
                         binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), ones({2, 2, 3})));
}

TEST(LossErrors, ValuesAndParameters)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy: all elements of input should be between 0 and 1, got 1.5 at flat index 1",
                         binary_cross_entropy(tensor({0.5, 1.5}), zeros({2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "smooth_l1_loss: beta must be >= 0, got -1",
                         smooth_l1_loss(zeros({2}), zeros({2}), reduction::mean, -1.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "huber_loss: delta must be > 0, got 0",
                         huber_loss(zeros({2}), zeros({2}), reduction::mean, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "cross_entropy: label_smoothing must be in [0, 1], got 1.5",
                         cross_entropy(zeros({2, 3}), labels({0, 1}), cross_entropy_options().label_smoothing(1.5)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "dice_loss: smooth must be >= 0, got -1",
                         dice_loss(zeros({2, 1}), zeros({2, 1}), dice_loss_options().smooth(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "cross_entropy: input must have shape (n, c, d...) or (c), got (3,)",
                         cross_entropy(zeros({3}), labels({1})));
    EXPECT_EQ(reduction_name(reduction::none), "none");
    EXPECT_EQ(reduction_name(reduction::mean), "mean");
    EXPECT_EQ(reduction_name(reduction::sum), "sum");
}
