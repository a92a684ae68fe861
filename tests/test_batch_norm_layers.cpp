// BatchNorm2d: PyTorch's names, defaults, state_dict keys and printing; three training steps
// and an eval step against torch.nn.BatchNorm2d (momentum 0.1 and None) at 1e-10 in float64;
// track_running_stats(false) and affine(false); the rank error; resets through BatchNormBase.
#include "golden_helpers.hpp"

#include <optional>

using namespace adjoint;

namespace
{
    const char* family = "batch_norm";

    std::vector<std::string> keys(const named_tensors& ts)
    {
        std::vector<std::string> k;
        for (const auto& [name, t] : ts)
        {
            k.push_back(name);
        }
        return k;
    }
}

TEST(BatchNorm2dLayer, NamesDefaultsAndPrinting)
{
    BatchNorm2d bn(BatchNorm2dOptions(16));
    EXPECT_EQ(keys(bn.state_dict()),
              (std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
    EXPECT_EQ(keys(bn.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
    EXPECT_TENSOR_NEAR(bn.weight(), ones({16}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(bn.bias(), zeros({16}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(bn.running_mean(), zeros({16}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(bn.running_var(), ones({16}), 0.0, 0.0);
    EXPECT_EQ(bn.num_batches_tracked().dtype(), int64);
    EXPECT_EQ(bn.num_batches_tracked().dim(), 0);
    EXPECT_FALSE(bn.running_mean().requires_grad());
    EXPECT_EQ(to_string(bn), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
    BatchNorm2d other(BatchNorm2dOptions(4).eps(1e-3).momentum(std::nullopt).affine(false).track_running_stats(false));
    EXPECT_EQ(other.extra_repr(), "4, eps=0.001, momentum=None, affine=False, track_running_stats=False");
    EXPECT_TRUE(other.state_dict().empty());
    EXPECT_THROW_MESSAGE(std::invalid_argument, "BatchNorm2d: num_features must be >= 1, got 0",
                         BatchNorm2d(BatchNorm2dOptions(0)));
}

TEST(BatchNorm2dLayer, ResetsThroughBatchNormBase)
{
    // Code written against BatchNormBase (shared with SyncBatchNorm) sees and resets the
    // layer's own tensors: the handles stay the same, the values go back to the defaults.
    BatchNorm2d bn(BatchNorm2dOptions(3));
    bn.to(float64);
    bn.forward(golden::fixture(family, "steps_x0"));
    {
        no_grad_guard off;
        bn.weight().fill_(2.0);
    }
    BatchNormBase& base = bn;
    const Tensor weight = base.weight(), mean = base.running_mean();
    EXPECT_EQ(base.num_batches_tracked().item(), 1.0);
    EXPECT_GT(sum(abs(mean)).item(), 0.0);
    base.reset_parameters();
    EXPECT_EQ(weight.impl(), bn.weight().impl());
    EXPECT_EQ(mean.impl(), bn.running_mean().impl());
    EXPECT_TENSOR_NEAR(bn.weight(), ones({3}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(bn.running_mean(), zeros({3}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(bn.running_var(), ones({3}, float64), 0.0, 0.0);
    EXPECT_EQ(bn.num_batches_tracked().item(), 0.0);
    EXPECT_EQ(base.extra_repr(), bn.extra_repr());
    EXPECT_EQ(base.type_name(), "BatchNorm2d");
}

TEST(BatchNorm2dLayer, TrainingStepsAndEvalMatchTorch)
{
    for (const std::string tag : {"m01", "mnone"})
    {
        SCOPED_TRACE(tag);
        BatchNorm2d bn(BatchNorm2dOptions(3).momentum(tag == "m01" ? std::optional<double>(0.1) : std::nullopt));
        bn.to(float64);
        for (int k = 0; k < 3; ++k)
        {
            const std::string s = std::to_string(k);
            const Tensor y = bn.forward(golden::fixture(family, "steps_x" + s));
            EXPECT_TENSOR_NEAR(y, golden::fixture(family, tag + "_y" + s), 1e-10, 1e-10) << k;
            EXPECT_TENSOR_NEAR(bn.running_mean(), golden::fixture(family, tag + "_rm" + s), 1e-10, 1e-10) << k;
            EXPECT_TENSOR_NEAR(bn.running_var(), golden::fixture(family, tag + "_rv" + s), 1e-10, 1e-10) << k;
            EXPECT_EQ(bn.num_batches_tracked().item(), golden::fixture(family, tag + "_nbt" + s).item()) << k;
        }
        bn.eval();
        const Tensor y = bn.forward(golden::fixture(family, "steps_x0"));
        EXPECT_TENSOR_NEAR(y, golden::fixture(family, tag + "_eval_y"), 1e-10, 1e-10);
        EXPECT_EQ(bn.num_batches_tracked().item(), 3.0);   // eval does not count
    }
}

TEST(BatchNorm2dLayer, WithoutRunningStatsEvalUsesTheBatch)
{
    BatchNorm2d bn(BatchNorm2dOptions(3).track_running_stats(false));
    bn.to(float64);
    const Tensor x = golden::fixture(family, "steps_x1");
    const Tensor train_y = bn.forward(x);
    bn.eval();
    EXPECT_TENSOR_NEAR(bn.forward(x), train_y, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(train_y, golden::fixture(family, "m01_y1"), 1e-10, 1e-10);   // same batch statistics
    EXPECT_TRUE(bn.named_buffers().empty());
}

TEST(BatchNorm2dLayer, AffineOffHasNoParametersAndGradientsFlowToTheInput)
{
    BatchNorm2d bn(BatchNorm2dOptions(3).affine(false));
    bn.to(float64);
    EXPECT_TRUE(bn.parameters().empty());
    EXPECT_EQ(keys(bn.state_dict()), (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
    const Tensor x = golden::irregular({2, 3, 2, 2});
    const tensor_fn fn = [&bn](const tensor_list& in) { return bn.forward(in[0]); };
    EXPECT_GRADCHECK(fn, {x});
}

TEST(BatchNorm2dLayer, CloneCopiesBuffersAndCount)
{
    BatchNorm2d bn(BatchNorm2dOptions(3));
    bn.to(float64);
    bn.forward(golden::fixture(family, "steps_x0"));
    const auto copy = std::dynamic_pointer_cast<BatchNorm2d>(bn.clone());
    ASSERT_TRUE(copy);
    EXPECT_TENSOR_NEAR(copy->running_mean(), bn.running_mean(), 0.0, 0.0);
    EXPECT_EQ(copy->num_batches_tracked().item(), 1.0);
    EXPECT_FALSE(copy->running_mean().is_same(bn.running_mean()));
    bn.reset_parameters();
    EXPECT_EQ(bn.num_batches_tracked().item(), 0.0);
    EXPECT_TENSOR_NEAR(bn.running_var(), ones({3}, float64), 0.0, 0.0);
}

TEST(BatchNorm2dLayer, Errors)
{
    BatchNorm2d bn(BatchNorm2dOptions(3));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "BatchNorm2d: expected 4D input (got 3D input) of size (3, 4, 4); add the batch axis with "
                         "unsqueeze(x, 0) for a single image",
                         bn.forward(zeros({3, 4, 4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected running_mean of shape (4,) for an input with 4 channels (input size "
                         "(2, 4, 2, 2)), got (3,)",
                         bn.forward(zeros({2, 4, 2, 2})));
    EXPECT_EQ(bn.num_batches_tracked().item(), 0.0);   // a rejected batch is not counted (torch counts it)
}
