// max_pool2d, avg_pool2d and adaptive_avg_pool2d: gradcheck and gradgradcheck over a grid of
// geometries (float64), the rules the goldens cannot show alone (NaN, -inf, windows wholly in
// the padding, the backward's structure), the pooling size rule, and every argument PyTorch
// 1.13 rejects, with verbatim messages. PyTorch goldens: test_pooling_golden.cpp.
#include "golden_helpers.hpp"

#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <limits>

using namespace adjoint;

namespace
{
    const double nan_v = std::numeric_limits<double>::quiet_NaN();
    const double inf_v = std::numeric_limits<double>::infinity();
}

TEST(PoolingGradcheck, MaxPool2dGrid)
{
    const std::vector<max_pool2d_options> configs = {
        max_pool2d_options(2),
        max_pool2d_options(3).stride(1).padding(1),                    // overlapping windows accumulate
        max_pool2d_options(2, 3).stride(2, 1).padding(1).dilation(2, 1),
        max_pool2d_options(3).stride(2).padding(1).ceil_mode(true),
    };
    for (std::size_t i = 0; i < configs.size(); ++i)
    {
        SCOPED_TRACE("config " + std::to_string(i));
        const max_pool2d_options o = configs[i];
        auto fn = [o](const tensor_list& in) { return max_pool2d(in[0], o); };
        Tensor x = golden::irregular({2, 2, 5, 6});   // no ties: away from the kinks
        EXPECT_GRADCHECK(fn, {x});
        EXPECT_GRADGRADCHECK(fn, {x});
    }
    auto unbatched = [](const tensor_list& in) { return max_pool2d(in[0], max_pool2d_options(2).stride(1)); };
    EXPECT_GRADCHECK(unbatched, {golden::irregular({3, 4, 4})});
}

TEST(PoolingGradcheck, AvgPool2dGrid)
{
    const std::vector<avg_pool2d_options> configs = {
        avg_pool2d_options(2),
        avg_pool2d_options(3).stride(2).padding(1),
        avg_pool2d_options(3).stride(2).padding(1).count_include_pad(false),
        avg_pool2d_options(3).stride(2).padding(1).ceil_mode(true),
        avg_pool2d_options(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false),
        avg_pool2d_options(2, 3).stride(1, 2).padding(1, 0).divisor_override(5),
    };
    for (std::size_t i = 0; i < configs.size(); ++i)
    {
        SCOPED_TRACE("config " + std::to_string(i));
        const avg_pool2d_options o = configs[i];
        auto fn = [o](const tensor_list& in) { return avg_pool2d(in[0], o); };
        Tensor x = golden::irregular({2, 2, 6, 5});
        EXPECT_GRADCHECK(fn, {x});
        EXPECT_GRADGRADCHECK(fn, {x});
    }
}

TEST(PoolingGradcheck, AdaptiveAvgPool2d)
{
    for (const pair_t out : {pair_t{2, 3}, pair_t{3, 4}, pair_t{1, 1}, pair_t{7, 6}})
    {
        SCOPED_TRACE("output " + std::to_string(out[0]) + "x" + std::to_string(out[1]));
        auto fn = [out](const tensor_list& in) { return adaptive_avg_pool2d(in[0], out); };
        Tensor x = golden::irregular({2, 2, 5, 4});
        EXPECT_GRADCHECK(fn, {x});
        EXPECT_GRADGRADCHECK(fn, {x});
    }
}

TEST(MaxPool2d, NanPropagatesAndTheLastNanIsTheIndex)
{
    // Window 0 reads positions 0, 1, 3, 4 = 1, nan, nan, 2: PyTorch's rule `v > best || isnan(v)`
    // takes every NaN, so the index is 3; window 1 reads 1, 2, 4, 5 = nan, 3, 2, 3: index 1.
    Tensor x = from_vector({1, nan_v, 3, nan_v, 2, 3, 3, 3, 0}, {1, 1, 3, 3}, float64);
    const values_and_indices r = max_pool2d_with_indices(x, max_pool2d_options(2).stride(1));
    EXPECT_TRUE(std::isnan(r.values.data().flat(0)));
    EXPECT_TRUE(std::isnan(r.values.data().flat(1)));
    EXPECT_TRUE(std::isnan(r.values.data().flat(2)));
    EXPECT_EQ(r.values.data().flat(3), 3.0);
    EXPECT_TENSOR_NEAR(r.indices, from_vector({3, 1, 3, 5}, {1, 1, 2, 2}, int64), 0.0, 0.0);
}

TEST(MaxPool2d, PaddingIsNeverPickedEvenOverMinusInfinity)
{
    // All -inf: every window keeps its first in-image position (PyTorch: 0 0 1 / 0 0 1 / 2 2 3).
    Tensor x = full({1, 1, 2, 2}, -inf_v, float64);
    const values_and_indices r = max_pool2d_with_indices(x, max_pool2d_options(2).stride(1).padding(1));
    EXPECT_TENSOR_NEAR(r.indices, from_vector({0, 0, 1, 0, 0, 1, 2, 2, 3}, {1, 1, 3, 3}, int64), 0.0, 0.0);
    // (EXPECT_TENSOR_NEAR treats -inf vs -inf as a difference of NaN, so compare the values.)
    EXPECT_EQ(r.values.data().to_vector(), std::vector<double>(9, -inf_v));
}

TEST(MaxPool2d, WindowWhollyInThePaddingGivesMinusInfinityAndNoGradient)
{
    // kernel 2, dilation 3, padding 1 on a 2x2 image: the one window reads rows -1 and 2 only.
    // PyTorch 1.13 returns -inf with the out-of-range index 6; here the index is -1.
    Tensor x = golden::distinct({1, 1, 2, 2});
    const values_and_indices r = max_pool2d_with_indices(x, max_pool2d_options(2).stride(1).padding(1).dilation(3));
    EXPECT_EQ(r.values.data().to_vector(), std::vector<double>{-inf_v});
    EXPECT_TENSOR_NEAR(r.indices, full({1, 1, 1, 1}, -1.0, int64), 0.0, 0.0);
    const tensor_list g = grad({r.values}, {x}, {ones({1, 1, 1, 1}, float64)});
    EXPECT_TENSOR_NEAR(g[0], zeros({1, 1, 2, 2}, float64), 0.0, 0.0);
}

TEST(MaxPool2d, OverlappingWindowsAccumulateAtTheArgmax)
{
    // One large value in the middle of a 3x3 image is the max of all four 2x2 windows.
    Tensor x = from_vector({0, 0, 0, 0, 5, 0, 0, 0, 0}, {1, 3, 3}, float64).requires_grad_();
    Tensor y = max_pool2d(x, max_pool2d_options(2).stride(1));
    const tensor_list g = grad({sum(y)}, {x});
    EXPECT_TENSOR_NEAR(g[0], from_vector({0, 0, 0, 0, 4, 0, 0, 0, 0}, {1, 3, 3}, float64), 0.0, 0.0);
}

TEST(MaxPool2dBackward, IsAScatterWhoseBackwardIsTheGather)
{
    Tensor x = golden::irregular({1, 2, 4, 5});
    const max_pool2d_options o = max_pool2d_options(3).stride(1).padding(1);
    const values_and_indices r = max_pool2d_with_indices(x, o);
    Tensor gy = golden::distinct(r.values.shape());
    Tensor gx = grad({r.values}, {x}, {gy}, /*retain_graph=*/false, /*create_graph=*/true)[0];
    ASSERT_TRUE(gx.grad_fn());
    EXPECT_EQ(gx.grad_fn()->name(), "scatter_add_planes");
    // d<gx, v>/dgy = v gathered at the argmax.
    Tensor v = golden::irregular(x.shape(), -0.3, 0.9);
    Tensor ggy = grad({sum(gx * v)}, {gy})[0];
    const array index = r.indices.data().reshaped({2, r.values.size(-2) * r.values.size(-1)});
    EXPECT_TENSOR_NEAR(ggy, detail::gather_planes(v, index, r.values.size(-2), r.values.size(-1)), 0.0, 0.0);
}

TEST(AvgPool2d, DivisorRules)
{
    Tensor x = ones({1, 1, 5, 5}, float64);
    // count_include_pad: the corner window covers 2x2 of the image inside a 3x3 padded window;
    // with ceil_mode the last window is cut at the padding (PyTorch: 0.25 at the corner).
    EXPECT_TENSOR_NEAR(avg_pool2d(x, avg_pool2d_options(3).stride(2).padding(1)),
                       from_vector({4. / 9, 6. / 9, 4. / 9, 6. / 9, 1, 6. / 9, 4. / 9, 6. / 9, 4. / 9}, {1, 1, 3, 3},
                                   float64),
                       1e-15, 1e-15);
    EXPECT_TENSOR_NEAR(avg_pool2d(x, avg_pool2d_options(2).padding(1).ceil_mode(true)),
                       from_vector({.25, .5, .5, .5, 1, 1, .5, 1, 1}, {1, 1, 3, 3}, float64), 1e-15, 1e-15);
    EXPECT_TENSOR_NEAR(avg_pool2d(x, avg_pool2d_options(3).stride(2).padding(1).count_include_pad(false)),
                       ones({1, 1, 3, 3}, float64), 1e-15, 1e-15);
    EXPECT_TENSOR_NEAR(avg_pool2d(x, avg_pool2d_options(2).divisor_override(-2)), full({1, 1, 2, 2}, -2.0, float64),
                       0.0, 0.0);
}

TEST(AdaptiveAvgPool2d, ZeroOutputSizeAndEmptyBatch)
{
    EXPECT_TENSOR_SHAPE(adaptive_avg_pool2d(ones({1, 1, 3, 3}, float64), pair_t{0, 2}), {1, 1, 0, 2});
    EXPECT_TENSOR_SHAPE(adaptive_avg_pool2d(ones({0, 2, 3, 3}, float64), 2), {0, 2, 2, 2});
    EXPECT_TENSOR_SHAPE(max_pool2d(ones({0, 2, 4, 4}, float64), max_pool2d_options(2)), {0, 2, 2, 2});
}

TEST(PoolOutputExtent, FloorCeilAndTheLastWindowRule)
{
    EXPECT_EQ(pool_output_extent(5, 2, 2, 0, 1, false), 2);
    EXPECT_EQ(pool_output_extent(5, 2, 2, 0, 1, true), 3);   // a partial last window
    // ceil((5 + 2 - 3)/3) + 1 = 3, but that window would start at 2*3 - 1 = 5 >= 5: dropped.
    EXPECT_EQ(pool_output_extent(5, 3, 3, 1, 1, true), 2);
    EXPECT_EQ(pool_output_extent(7, 3, 3, 1, 1, true), 3);
    EXPECT_EQ(pool_output_extent(7, 2, 2, 1, 3, false), 3);
}

TEST(PoolingErrors, AsPyTorchRejects)
{
    Tensor x = zeros({1, 1, 1, 3}, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: padding must be at most half of kernel_size in each dimension, got padding=(2, 2) "
                         "and kernel_size=(3, 3) (height: 2 > floor(3/2) = 1)",
                         max_pool2d(x, max_pool2d_options(3).padding(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "avg_pool2d: padding must be at most half of kernel_size in each dimension, got padding=(0, 2) "
                         "and kernel_size=(3, 3) (width: 2 > floor(3/2) = 1)",
                         avg_pool2d(x, avg_pool2d_options(3).padding(0, 2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: expected the pooling window to fit in the padded input, got input shape (1, 1, 1, 3) "
                         "with kernel_size=(5, 5), stride=(1, 1), padding=(0, 0) and dilation=(1, 1): output height = "
                         "floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((1 + 2*0 - 1*(5-1) - 1) / 1) "
                         "+ 1 = -3; use a smaller kernel_size or dilation, more padding, or a larger input",
                         max_pool2d(x, max_pool2d_options(5).stride(1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "avg_pool2d: expected the pooling window to fit in the padded input, got input shape (1, 1, 1, 3) "
                         "with kernel_size=(1, 4), stride=(1, 1), padding=(0, 0) and dilation=(1, 1): output width = "
                         "ceil((W + 2*padding - dilation*(kW-1) - 1) / stride) + 1 = ceil((3 + 2*0 - 1*(4-1) - 1) / 1) "
                         "+ 1 = 0; use a smaller kernel_size or dilation, more padding, or a larger input",
                         avg_pool2d(x, avg_pool2d_options(1, 4).stride(1).ceil_mode(true)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape (2, 3) (rank 2)",
                         max_pool2d(zeros({2, 3}, float64), max_pool2d_options(1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "avg_pool2d: expected C, H and W of at least 1 (only the batch N may be 0), got shape (1, 0, 4, 4)",
                         avg_pool2d(zeros({1, 0, 4, 4}, float64), avg_pool2d_options(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: kernel_size must be >= 1 in each dimension, got kernel_size=(0, 0)",
                         max_pool2d(x, max_pool2d_options(0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "max_pool2d: stride must be >= 1 in each dimension, got stride=(1, 0)",
                         max_pool2d(x, max_pool2d_options(1).stride(1, 0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: dilation must be >= 1 in each dimension, got dilation=(0, 0)",
                         max_pool2d(x, max_pool2d_options(1).dilation(0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "avg_pool2d: padding must be >= 0 in each dimension, got padding=(-1, -1)",
                         avg_pool2d(x, avg_pool2d_options(2).padding(-1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "avg_pool2d: divisor_override must be non-zero, got divisor_override=0",
                         avg_pool2d(x, avg_pool2d_options(1).divisor_override(0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "adaptive_avg_pool2d: output_size must be >= 0 in each dimension, got output_size=(-1, 2)",
                         adaptive_avg_pool2d(x, pair_t{-1, 2}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "adaptive_avg_pool2d: expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape (3,) (rank 1)",
                         adaptive_avg_pool2d(zeros({3}, float64), 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "adaptive_avg_pool2d: expected C, H and W of at least 1 (only the batch N may be 0), got shape (2, 0, 3)",
                         adaptive_avg_pool2d(zeros({2, 0, 3}, float64), 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         max_pool2d(x.to(int64), max_pool2d_options(1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max_pool2d: expected a defined input tensor, got an undefined one",
                         max_pool2d(Tensor(), max_pool2d_options(1)));
}
