// A small U-Net-like model (conv -> BatchNorm2d -> ReLU -> MaxPool2d -> conv -> ReLU ->
// Upsample -> cat with the skip -> 1x1 conv) trained 5 steps with Adam on BCE-with-logits
// matches torch.nn step by step: every parameter, BatchNorm's running stats and
// num_batches_tracked, and the loss, after every step at 1e-10 in float64
// (tests/fixtures/small_model/, generate_small_model.py).
#include "golden_helpers.hpp"

using namespace adjoint;

namespace
{
    // generate_small_model.py's Small, with the same child names.
    class Small : public Module
    {
    public:
        Small()
            : conv1(register_module("conv1", std::make_shared<Conv2d>(Conv2dOptions(3, 8, 3).padding(1)))),
              bn(register_module("bn", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(8)))),
              pool(register_module("pool", std::make_shared<MaxPool2d>(MaxPool2dOptions(2)))),
              conv2(register_module("conv2", std::make_shared<Conv2d>(Conv2dOptions(8, 8, 3).padding(1)))),
              up(register_module("up", std::make_shared<Upsample>(
                                           UpsampleOptions().scale_factor(2).mode("bilinear").align_corners(false)))),
              head(register_module("head", std::make_shared<Conv2d>(Conv2dOptions(16, 1, 1))))
        {
        }
        Tensor forward(const Tensor& x)
        {
            const Tensor a = relu(bn->forward(conv1->forward(x)));
            const Tensor u = up->forward(relu(conv2->forward(pool->forward(a))));
            return head->forward(cat({u, a}, 1));
        }
        std::shared_ptr<Conv2d> conv1;
        std::shared_ptr<BatchNorm2d> bn;
        std::shared_ptr<MaxPool2d> pool;
        std::shared_ptr<Conv2d> conv2;
        std::shared_ptr<Upsample> up;
        std::shared_ptr<Conv2d> head;
    };

    std::string fixture(const std::string& name) { return std::string(ADJOINT_FIXTURES) + "/small_model/" + name; }
}

TEST(SmallModelVsTorch, FiveAdamStepsMatchTorchStepByStep)
{
    Small model;
    model.to(float64);
    load(model, fixture("initial.safetensors"));
    const Tensor x = load_npy(fixture("x.npy"));
    const Tensor mask = load_npy(fixture("mask.npy"));
    optim::Adam opt(model.parameters(), optim::AdamOptions(1e-2));
    model.train();
    const named_tensors state = model.state_dict();
    ASSERT_EQ(state.size(), 11u);   // 3 convs x 2, bn: weight, bias, running_mean, running_var, num_batches_tracked
    for (int k = 1; k <= 5; ++k)
    {
        SCOPED_TRACE("step " + std::to_string(k));
        opt.zero_grad();
        const Tensor loss = binary_cross_entropy_with_logits(model.forward(x), mask);
        loss.backward();
        opt.step();
        const checkpoint torch_state = load_checkpoint(fixture("step" + std::to_string(k) + ".safetensors"));
        EXPECT_NEAR(loss.item(), torch_state.at("loss").item(), 1e-12);
        ASSERT_EQ(torch_state.tensors.size(), state.size() + 1);   // + the loss
        for (const auto& [name, t] : state)
        {
            EXPECT_TENSOR_NEAR(t, torch_state.at(name), 1e-10, 1e-10) << name;
        }
    }
    EXPECT_EQ(model.bn->num_batches_tracked().item(), 5.0);
    // The run moved every parameter (a test that compared untouched values could not fail),
    // except conv1.bias: BatchNorm subtracts the batch mean right after it, so its gradient is
    // zero up to rounding, in torch as here.
    const checkpoint initial = load_checkpoint(fixture("initial.safetensors"));
    for (const auto& [name, p] : model.named_parameters())
    {
        const double moved = max(abs(p - initial.at(name))).item();
        if (name == "conv1.bias")
        {
            EXPECT_LT(moved, 1e-8);
        }
        else
        {
            EXPECT_GT(moved, 1e-4) << name;
        }
    }
    EXPECT_GT(max(abs(model.bn->running_mean() - initial.at("bn.running_mean"))).item(), 1e-3);
    EXPECT_GT(max(abs(model.bn->running_var() - initial.at("bn.running_var"))).item(), 1e-3);
}
