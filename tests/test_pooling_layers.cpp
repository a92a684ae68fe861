// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and Upsample: each module equals its functional op
// (values, indices, gradients), prints as torch.nn does, clones, has no parameters, runs
// inside Sequential, and names itself in errors raised by its op.
#include "golden_helpers.hpp"

#include <adjoint/testing/testing.hpp>

using namespace adjoint;

TEST(PoolingLayers, EachModuleEqualsItsFunctionalOp)
{
    Tensor x = golden::irregular({2, 3, 7, 6});
    MaxPool2d mp(MaxPool2dOptions(3).stride(2).padding(1).ceil_mode(true).return_indices(true));
    const max_pool2d_options mo = max_pool2d_options(3).stride(2).padding(1).ceil_mode(true);
    EXPECT_TENSOR_NEAR(mp(x), max_pool2d(x, mo), 0.0, 0.0);
    const values_and_indices a = mp.forward_with_indices(x), b = max_pool2d_with_indices(x, mo);
    EXPECT_TENSOR_NEAR(a.values, b.values, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a.indices, b.indices, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad({sum(a.values * a.values)}, {x})[0], grad({sum(b.values * b.values)}, {x})[0], 0.0, 0.0);

    const AvgPool2dOptions ao = AvgPool2dOptions(3).stride(2).padding(1).count_include_pad(false);
    EXPECT_TENSOR_NEAR(AvgPool2d(ao)(x), avg_pool2d(x, ao), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(AdaptiveAvgPool2d(pair_t{2, 4})(x), adaptive_avg_pool2d(x, pair_t{2, 4}), 0.0, 0.0);
    const UpsampleOptions uo = UpsampleOptions().scale_factor(1.5).mode("bilinear").align_corners(true);
    EXPECT_TENSOR_NEAR(Upsample(uo)(x), interpolate(x, uo), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Upsample(UpsampleOptions().size(3, 9))(x), interpolate(x, interpolate_options().size(3, 9)),
                       0.0, 0.0);
}

TEST(PoolingLayers, ExtraReprAsTorchNn)
{
    EXPECT_EQ(MaxPool2d(MaxPool2dOptions(2)).extra_repr(),
              "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
    EXPECT_EQ(MaxPool2d(MaxPool2dOptions(2, 3).stride(1).padding(1, 0).dilation(2).ceil_mode(true)).extra_repr(),
              "kernel_size=(2, 3), stride=1, padding=(1, 0), dilation=2, ceil_mode=True");
    EXPECT_EQ(AvgPool2d(AvgPool2dOptions(3).stride(2).padding(1)).extra_repr(), "kernel_size=3, stride=2, padding=1");
    EXPECT_EQ(AvgPool2d(AvgPool2dOptions(3).ceil_mode(true).count_include_pad(false).divisor_override(2)).extra_repr(),
              "kernel_size=3, stride=3, padding=0");
    EXPECT_EQ(AdaptiveAvgPool2d(3).extra_repr(), "output_size=3");
    EXPECT_EQ(AdaptiveAvgPool2d(pair_t{2, 3}).extra_repr(), "output_size=(2, 3)");
    EXPECT_EQ(Upsample(UpsampleOptions().scale_factor(2)).extra_repr(), "scale_factor=2.0, mode=nearest");
    EXPECT_EQ(Upsample(UpsampleOptions().size(4, 5).mode("bilinear").align_corners(true)).extra_repr(),
              "size=(4, 5), mode=bilinear");
    EXPECT_EQ(Upsample(UpsampleOptions().scale_factor(1.5, 2).mode("bilinear")).extra_repr(),
              "scale_factor=(1.5, 2.0), mode=bilinear");
    EXPECT_EQ(Upsample(UpsampleOptions().scale_factor(0.1)).extra_repr(), "scale_factor=0.1, mode=nearest");
    EXPECT_EQ(Upsample(UpsampleOptions().size(4)).extra_repr(), "size=4, mode=nearest");
    EXPECT_EQ(to_string(MaxPool2d(MaxPool2dOptions(2))),
              "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
}

TEST(PoolingLayers, NoParametersCloneAndSequential)
{
    auto pool = std::make_shared<MaxPool2d>(MaxPool2dOptions(2));
    auto up = std::make_shared<Upsample>(UpsampleOptions().scale_factor(2).mode("bilinear"));
    auto avg = std::make_shared<AvgPool2d>(AvgPool2dOptions(2));
    auto adaptive = std::make_shared<AdaptiveAvgPool2d>(1);
    EXPECT_TRUE(pool->parameters().empty());
    EXPECT_TRUE(pool->buffers().empty());
    EXPECT_EQ(pool->type_name(), "MaxPool2d");
    EXPECT_EQ(up->type_name(), "Upsample");
    EXPECT_EQ(avg->type_name(), "AvgPool2d");
    EXPECT_EQ(adaptive->type_name(), "AdaptiveAvgPool2d");
    const auto copy = std::dynamic_pointer_cast<MaxPool2d>(pool->clone());
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->extra_repr(), pool->extra_repr());

    Sequential net{pool, up, avg, adaptive};
    Tensor x = golden::irregular({1, 2, 4, 4});
    Tensor expected = adaptive_avg_pool2d(
        avg_pool2d(interpolate(max_pool2d(x, max_pool2d_options(2)), interpolate_options().scale_factor(2).mode("bilinear")),
                   avg_pool2d_options(2)),
        1);
    EXPECT_TENSOR_NEAR(net(x), expected, 0.0, 0.0);
}

TEST(PoolingLayers, ErrorsNameTheLayer)
{
    Sequential net{std::make_shared<AvgPool2d>(AvgPool2dOptions(2)),
                   std::make_shared<MaxPool2d>(MaxPool2dOptions(3).padding(2))};
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "1 (MaxPool2d): max_pool2d: padding must be at most half of kernel_size in each dimension, got "
                         "padding=(2, 2) and kernel_size=(3, 3) (height: 2 > floor(3/2) = 1)",
                         net(zeros({1, 1, 8, 8}, float64)));
}
