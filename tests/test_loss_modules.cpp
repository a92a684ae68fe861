// Loss modules: each equals its functional call, weights are buffers under PyTorch's names
// (state_dict, to(dtype), clone deep-copies them), printing as PyTorch's, construction checks.
#include "golden_helpers.hpp"

#include <memory>

using namespace adjoint;
using namespace golden;

namespace
{
    Tensor labels(const nested_values& values) { return tensor(values, float64).to(int64); }
} // namespace

TEST(LossModules, EqualTheFunctionalCalls)
{
    const Tensor x = irregular({4, 3}, -2.0, 2.0).detach(), y = irregular({4, 3}, -1.0, 1.5).detach();
    const Tensor p = irregular({4, 3}, 0.05, 0.95).detach(), t = irregular({4, 3}, 0.0, 1.0).detach();
    const Tensor w = tensor({0.5, 1.0, 2.0}, float64), idx = labels({2, 0, -100, 1});
    EXPECT_TENSOR_NEAR(MSELoss()(x, y), mse_loss(x, y), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(L1Loss(L1LossOptions().reduction(reduction::sum))(x, y), l1_loss(x, y, reduction::sum), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(SmoothL1Loss(SmoothL1LossOptions().beta(0.5).reduction(reduction::none))(x, y),
                       smooth_l1_loss(x, y, reduction::none, 0.5), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(HuberLoss(HuberLossOptions().delta(0.7))(x, y), huber_loss(x, y, reduction::mean, 0.7), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(BCELoss(BCELossOptions().weight(w))(p, t), binary_cross_entropy(p, t, w), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(BCEWithLogitsLoss(BCEWithLogitsLossOptions().weight(w).pos_weight(w * 2.0))(x, t),
                       binary_cross_entropy_with_logits(x, t, w, w * 2.0), 0.0, 0.0);
    const Tensor lp = irregular({4, 3}, -3.0, -0.1).detach();
    EXPECT_TENSOR_NEAR(NLLLoss(NLLLossOptions().weight(w).ignore_index(-100))(lp, idx), nll_loss(lp, idx, w), 0.0, 0.0);
    const auto ce = CrossEntropyLossOptions().weight(w).label_smoothing(0.1).reduction(reduction::sum);
    EXPECT_TENSOR_NEAR(CrossEntropyLoss(ce)(x, idx), cross_entropy(x, idx, ce), 0.0, 0.0);
    const Tensor xm = irregular({2, 3, 2, 2}, -2.0, 2.0).detach(), tm = labels({{{0, 2}, {1, 1}}, {{2, 0}, {0, 0}}});
    EXPECT_TENSOR_NEAR(DiceLoss(DiceLossOptions().smooth(0.5))(xm, tm), dice_loss(xm, tm, dice_loss_options().smooth(0.5)),
                       0.0, 0.0);
    // Gradients flow through the module call as through the function.
    Tensor xg = x.detach().requires_grad_();
    CrossEntropyLoss loss(ce);
    EXPECT_TENSOR_NEAR(grad({loss(xg, idx)}, {xg})[0], grad({cross_entropy(xg, idx, ce)}, {xg})[0], 0.0, 0.0);
}

TEST(LossModules, WeightsAreBuffersUnderPyTorchNames)
{
    BCEWithLogitsLoss bce(BCEWithLogitsLossOptions().weight(ones({3})).pos_weight(full({3}, 2.0)));
    const auto state = bce.state_dict();
    ASSERT_EQ(state.size(), 2u);
    EXPECT_EQ(state[0].first, "weight");
    EXPECT_EQ(state[1].first, "pos_weight");
    EXPECT_TRUE(bce.parameters().empty());
    EXPECT_TRUE(CrossEntropyLoss().state_dict().empty());   // no weight given, no buffer
    EXPECT_EQ(CrossEntropyLoss(CrossEntropyLossOptions().weight(ones({3}))).named_buffers()[0].first, "weight");
    EXPECT_EQ(NLLLoss(NLLLossOptions().weight(ones({3}))).named_buffers()[0].first, "weight");
    EXPECT_EQ(BCELoss(BCELossOptions().weight(ones({3}))).named_buffers()[0].first, "weight");

    // The module's own copy: the caller's tensor can change without changing the loss.
    Tensor w = tensor({1.0, 2.0, 3.0});
    CrossEntropyLoss ce(CrossEntropyLossOptions().weight(w));
    const Tensor x = irregular({2, 3}).detach().to(float32), t = labels({1, 2});
    const Tensor before = ce(x, t);
    w.fill_(7.0);
    EXPECT_TENSOR_NEAR(ce(x, t), before, 0.0, 0.0);
    // to(float64) converts the buffer, so float64 inputs then work.
    ce.to(float64);
    EXPECT_EQ(ce.weight().dtype(), float64);
    EXPECT_NEAR(ce(x.to(float64), t).item(), before.item(), 1e-6);
    // load_state_dict writes into the buffer the forward uses.
    ce.load_state_dict({{"weight", tensor({1.0, 1.0, 1.0}, float64)}});
    EXPECT_TENSOR_NEAR(ce(x.to(float64), t), cross_entropy(x.to(float64), t), 0.0, 1e-15);
}

TEST(LossModules, CloneIsDeep)
{
    CrossEntropyLoss ce(CrossEntropyLossOptions().weight(tensor({1.0, 2.0, 3.0})).ignore_index(255));
    auto copy = std::dynamic_pointer_cast<CrossEntropyLoss>(ce.clone());
    ASSERT_TRUE(copy);
    EXPECT_FALSE(copy->weight().is_same(ce.weight()));
    EXPECT_FALSE(copy->weight().data().shares_storage(ce.weight().data()));
    EXPECT_TENSOR_NEAR(copy->weight(), ce.weight(), 0.0, 0.0);
    EXPECT_EQ(copy->options().ignore_index(), 255);
    ce.weight().fill_(5.0);
    EXPECT_TENSOR_NEAR(copy->weight(), tensor({1.0, 2.0, 3.0}), 0.0, 0.0);
    auto dice = std::dynamic_pointer_cast<DiceLoss>(DiceLoss(DiceLossOptions().smooth(0.25)).clone());
    ASSERT_TRUE(dice);
    EXPECT_EQ(dice->options().smooth(), 0.25);
}

TEST(LossModules, PrintLikePyTorch)
{
    EXPECT_EQ(to_string(CrossEntropyLoss()), "CrossEntropyLoss()");
    EXPECT_EQ(to_string(BCEWithLogitsLoss()), "BCEWithLogitsLoss()");
    EXPECT_EQ(to_string(MSELoss()), "MSELoss()");
    EXPECT_EQ(CrossEntropyLoss(CrossEntropyLossOptions().ignore_index(255).label_smoothing(0.1).reduction(reduction::sum))
                  .extra_repr(),
              "reduction=sum, ignore_index=255, label_smoothing=0.1");
    EXPECT_EQ(SmoothL1Loss(SmoothL1LossOptions().beta(0.5)).extra_repr(), "beta=0.5");
    EXPECT_EQ(HuberLoss(HuberLossOptions().delta(2.0).reduction(reduction::none)).extra_repr(),
              "reduction=none, delta=2");
    EXPECT_EQ(NLLLoss(NLLLossOptions().ignore_index(0)).extra_repr(), "ignore_index=0");
    EXPECT_EQ(DiceLoss().extra_repr(), "smooth=1");
    EXPECT_EQ(L1Loss().type_name(), "L1Loss");
}

TEST(LossModules, BadOptionsFailWhereTheLossIsBuilt)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SmoothL1Loss: beta must be >= 0, got -1",
                         SmoothL1Loss(SmoothL1LossOptions().beta(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "HuberLoss: delta must be > 0, got 0",
                         HuberLoss(HuberLossOptions().delta(0.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "CrossEntropyLoss: label_smoothing must be in [0, 1], got -0.1",
                         CrossEntropyLoss(CrossEntropyLossOptions().label_smoothing(-0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "DiceLoss: smooth must be >= 0, got -2",
                         DiceLoss(DiceLossOptions().smooth(-2.0)));
    // Input errors come from the functional call.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_cross_entropy_with_logits: target size (16, 32, 32) must be the same as input size "
                         "(16, 1, 32, 32)",
                         BCEWithLogitsLoss()(zeros({16, 1, 32, 32}), zeros({16, 32, 32})));
}
