// Every loss against PyTorch 1.13 at 1e-10 in float64, forward and the gradients of every
// differentiable input, under each reduction (fixtures: tests/fixtures/generate_losses.py).
#include "golden_helpers.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace adjoint;
using namespace golden;

namespace
{
    const std::vector<std::pair<std::string, reduction>> reductions = {
        {"none", reduction::none}, {"mean", reduction::mean}, {"sum", reduction::sum}};

    Tensor constant(const std::string& name, const std::string& key) { return fixture("losses", name + "_" + key); }

    void check(const std::string& name, std::size_t inputs, const tensor_fn& fn)
    {
        expect_matches_golden("losses", name, inputs, fn);
    }
} // namespace

TEST(LossGolden, Regression)
{
    for (const auto& [rn, r] : reductions)
    {
        check("mse_" + rn, 2, [r = r](const tensor_list& x) { return mse_loss(x[0], x[1], r); });
        check("l1_" + rn, 2, [r = r](const tensor_list& x) { return l1_loss(x[0], x[1], r); });
        check("smooth_l1_" + rn, 2, [r = r](const tensor_list& x) { return smooth_l1_loss(x[0], x[1], r); });
        check("huber_" + rn, 2, [r = r](const tensor_list& x) { return huber_loss(x[0], x[1], r); });
    }
    check("smooth_l1_beta_half", 2, [](const tensor_list& x) { return smooth_l1_loss(x[0], x[1], reduction::mean, 0.5); });
    check("smooth_l1_beta_zero", 2, [](const tensor_list& x) { return smooth_l1_loss(x[0], x[1], reduction::sum, 0.0); });
    check("huber_delta_2", 2, [](const tensor_list& x) { return huber_loss(x[0], x[1], reduction::sum, 2.0); });
    check("mse_4d", 2, [](const tensor_list& x) { return mse_loss(x[0], x[1]); });
}

TEST(LossGolden, BinaryCrossEntropyWithLogits)
{
    for (const auto& [rn, r] : reductions)
    {
        check("bce_logits_" + rn, 2,
              [r = r](const tensor_list& x) { return binary_cross_entropy_with_logits(x[0], x[1], {}, {}, r); });
        const std::string name = "bce_logits_weights_" + rn;
        check(name, 2, [r = r, name](const tensor_list& x) {
            return binary_cross_entropy_with_logits(x[0], x[1], constant(name, "w"), constant(name, "pw"), r);
        });
    }
    check("bce_logits_row_weight", 2, [](const tensor_list& x) {
        return binary_cross_entropy_with_logits(x[0], x[1], constant("bce_logits_row_weight", "w"));
    });
    check("bce_logits_4d", 2, [](const tensor_list& x) { return binary_cross_entropy_with_logits(x[0], x[1]); });
    check("bce_logits_large", 2, [](const tensor_list& x) {
        return binary_cross_entropy_with_logits(x[0], x[1], {}, {}, reduction::none);
    });
    check("bce_logits_large_pos_weight", 2, [](const tensor_list& x) {
        return binary_cross_entropy_with_logits(x[0], x[1], {}, constant("bce_logits_large_pos_weight", "pw"),
                                                reduction::none);
    });
}

TEST(LossGolden, BinaryCrossEntropy)
{
    for (const auto& [rn, r] : reductions)
    {
        check("bce_" + rn, 2, [r = r](const tensor_list& x) { return binary_cross_entropy(x[0], x[1], {}, r); });
    }
    check("bce_weight", 2, [](const tensor_list& x) { return binary_cross_entropy(x[0], x[1], constant("bce_weight", "w")); });
    check("bce_edges_input_grad", 1, [](const tensor_list& x) {
        return binary_cross_entropy(x[0], constant("bce_edges_input_grad", "t"), {}, reduction::sum);
    });
}

TEST(LossGolden, CrossEntropyClassIndices)
{
    for (const auto& [rn, r] : reductions)
    {
        const std::string plain = "ce_" + rn, weighted = "ce_weight_" + rn, smooth = "ce_smooth_weight_" + rn,
                          four = "ce_4d_" + rn;
        check(plain, 1, [r = r, plain](const tensor_list& x) {
            return cross_entropy(x[0], constant(plain, "t"), cross_entropy_options().reduction(r));
        });
        check(weighted, 1, [r = r, weighted](const tensor_list& x) {
            return cross_entropy(x[0], constant(weighted, "t"),
                                 cross_entropy_options().weight(constant(weighted, "w")).reduction(r));
        });
        check(smooth, 1, [r = r, smooth](const tensor_list& x) {
            return cross_entropy(
                x[0], constant(smooth, "t"),
                cross_entropy_options().weight(constant(smooth, "w")).label_smoothing(0.15).reduction(r));
        });
        check(four, 1, [r = r, four](const tensor_list& x) {
            return cross_entropy(x[0], constant(four, "t"),
                                 cross_entropy_options()
                                     .weight(constant(four, "w"))
                                     .ignore_index(255)
                                     .label_smoothing(0.1)
                                     .reduction(r));
        });
    }
    check("ce_smooth", 1, [](const tensor_list& x) {
        return cross_entropy(x[0], constant("ce_smooth", "t"), cross_entropy_options().label_smoothing(0.3));
    });
    check("ce_4d_plain", 1, [](const tensor_list& x) { return cross_entropy(x[0], constant("ce_4d_plain", "t")); });
    check("ce_3d", 1, [](const tensor_list& x) { return cross_entropy(x[0], constant("ce_3d", "t")); });
    check("ce_one_sample", 1, [](const tensor_list& x) {
        return cross_entropy(x[0], constant("ce_one_sample", "t"), cross_entropy_options().reduction(reduction::none));
    });
}

TEST(LossGolden, CrossEntropyProbabilities)
{
    for (const auto& [rn, r] : reductions)
    {
        check("ce_probs_" + rn, 2,
              [r = r](const tensor_list& x) { return cross_entropy(x[0], x[1], cross_entropy_options().reduction(r)); });
    }
    check("ce_probs_smooth_weight", 2, [](const tensor_list& x) {
        return cross_entropy(x[0], x[1],
                             cross_entropy_options().weight(constant("ce_probs_smooth_weight", "w")).label_smoothing(0.2));
    });
    check("ce_probs_4d", 2, [](const tensor_list& x) { return cross_entropy(x[0], x[1]); });
}

TEST(LossGolden, NllLoss)
{
    for (const auto& [rn, r] : reductions)
    {
        const std::string name = "nll_" + rn;
        check(name, 1, [r = r, name](const tensor_list& x) {
            return nll_loss(x[0], constant(name, "t"), constant(name, "w"), -1, r);
        });
    }
    check("nll_4d", 1, [](const tensor_list& x) { return nll_loss(x[0], constant("nll_4d", "t")); });
}

TEST(LossGolden, DiceAgainstTheFormulaInTorch)
{
    for (const auto& [rn, r] : reductions)
    {
        check("dice_binary_" + rn, 2,
              [r = r](const tensor_list& x) { return dice_loss(x[0], x[1], dice_loss_options().reduction(r)); });
        const std::string multi = "dice_multi_" + rn;
        check(multi, 1, [r = r, multi](const tensor_list& x) {
            return dice_loss(x[0], constant(multi, "t"), dice_loss_options().reduction(r));
        });
    }
    check("dice_binary_3d_soft", 2,
          [](const tensor_list& x) { return dice_loss(x[0], x[1], dice_loss_options().smooth(0.5)); });
    check("dice_multi_smooth_small", 1, [](const tensor_list& x) {
        return dice_loss(x[0], constant("dice_multi_smooth_small", "t"),
                         dice_loss_options().smooth(1e-3).reduction(reduction::sum));
    });
}
