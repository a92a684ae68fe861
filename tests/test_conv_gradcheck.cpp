// gradcheck and gradgradcheck of conv2d and conv_transpose2d (input, weight and bias) over a
// grid of small configurations, in float64; and the structure of their backward passes: each
// op's input gradient is a recorded call of the other op, and the weight gradient is the
// shared, itself differentiable conv2d_weight_grad.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

using namespace adjoint;

namespace
{
    struct grid_point
    {
        std::int64_t stride, padding, dilation, groups;
    };

    std::vector<grid_point> grid()
    {
        std::vector<grid_point> points;
        for (std::int64_t s : {1, 2})
        {
            for (std::int64_t p : {0, 1})
            {
                for (std::int64_t d : {1, 2})
                {
                    for (std::int64_t g : {1, 2})
                    {
                        points.push_back({s, p, d, g});
                    }
                }
            }
        }
        return points;
    }

    Tensor leaf(const shape_t& shape) { return randn(shape, float64).requires_grad_(); }
}

TEST(ConvGradcheck, Conv2dGrid)
{
    manual_seed(11);
    for (const auto& q : grid())
    {
        SCOPED_TRACE(detail::str("stride ", q.stride, " padding ", q.padding, " dilation ", q.dilation, " groups ",
                                 q.groups));
        const auto opts = conv2d_options()
                              .stride(q.stride, 1)
                              .padding(q.padding, 1 - q.padding)
                              .dilation(q.dilation, 1)
                              .groups(q.groups);
        Tensor x = leaf({2, 2 * q.groups, 5, 4});
        Tensor w = leaf({q.groups, 2, 2, 3});
        Tensor b = leaf({q.groups});
        const tensor_fn fn = [opts](const tensor_list& in) { return conv2d(in[0], in[1], in[2], opts); };
        EXPECT_GRADCHECK(fn, {x, w, b});
        EXPECT_GRADGRADCHECK(fn, {x, w, b});
    }
}

TEST(ConvGradcheck, ConvTranspose2dGrid)
{
    manual_seed(12);
    for (const auto& q : grid())
    {
        SCOPED_TRACE(detail::str("stride ", q.stride, " padding ", q.padding, " dilation ", q.dilation, " groups ",
                                 q.groups));
        const auto opts = conv_transpose2d_options()
                              .stride(q.stride, 1)
                              .padding(q.padding, 1 - q.padding)
                              .dilation(1, q.dilation)
                              .output_padding(q.stride - 1, 0)
                              .groups(q.groups);
        Tensor x = leaf({2, 2 * q.groups, 3, 2});
        Tensor w = leaf({2 * q.groups, 1, 3, 2});
        Tensor b = leaf({q.groups});
        const tensor_fn fn = [opts](const tensor_list& in) { return conv_transpose2d(in[0], in[1], in[2], opts); };
        EXPECT_GRADCHECK(fn, {x, w, b});
        EXPECT_GRADGRADCHECK(fn, {x, w, b});
    }
}

TEST(ConvGradcheck, SpecialGeometries)
{
    manual_seed(13);
    // 'same' with an even kernel and odd dilation*(k-1): asymmetric padding.
    {
        Tensor x = leaf({1, 2, 4, 3});
        Tensor w = leaf({2, 1, 2, 2});
        Tensor b = leaf({2});
        const tensor_fn fn = [](const tensor_list& in) {
            return conv2d(in[0], in[1], in[2], conv2d_options().padding("same").groups(2));
        };
        EXPECT_GRADCHECK(fn, {x, w, b});
        EXPECT_GRADGRADCHECK(fn, {x, w, b});
    }
    // Unbatched input, and a transposed output size chosen through output_size.
    {
        Tensor x = leaf({2, 3, 2});
        Tensor w = leaf({2, 2, 2, 2});
        const tensor_fn fn = [](const tensor_list& in) {
            return conv_transpose2d(in[0], in[1], Tensor(), conv_transpose2d_options().stride(3, 2), pair_t{9, 5});
        };
        EXPECT_GRADCHECK(fn, {x, w});
        EXPECT_GRADGRADCHECK(fn, {x, w});
    }
    // output_padding beyond the stride (allowed because it is below the dilation).
    {
        Tensor x = leaf({1, 1, 2, 2});
        Tensor w = leaf({1, 2, 2, 2});
        const tensor_fn fn = [](const tensor_list& in) {
            return conv_transpose2d(in[0], in[1], Tensor(), conv_transpose2d_options().dilation(3).output_padding(2));
        };
        EXPECT_GRADCHECK(fn, {x, w});
        EXPECT_GRADGRADCHECK(fn, {x, w});
    }
    // A 1x1 kernel, where the kernels skip im2col.
    {
        Tensor x = leaf({2, 2, 3, 2});
        Tensor w = leaf({3, 2, 1, 1});
        const tensor_fn fn = [](const tensor_list& in) { return conv2d(in[0], in[1]); };
        const tensor_fn tfn = [](const tensor_list& in) { return conv_transpose2d(in[0], in[1]); };
        EXPECT_GRADGRADCHECK(fn, {x, w});
        Tensor wt = leaf({2, 3, 1, 1});
        EXPECT_GRADGRADCHECK(tfn, {x, wt});
    }
}

// The weight gradient and the channel sum are ops of their own; check them directly too.
TEST(ConvGradcheck, WeightGradAndChannelSum)
{
    manual_seed(14);
    conv2d_params p;
    p.stride = {2, 1};
    p.padding = {1, 0};
    p.dilation = {1, 2};
    Tensor x = leaf({2, 2, 5, 4});
    Tensor w_shape_only = randn({3, 2, 2, 2}, float64);
    const conv_geometry g = conv2d_geometry(x.shape(), w_shape_only.shape(), std::nullopt, p);
    Tensor gy = leaf(g.output_shape());
    const tensor_fn wg = [g](const tensor_list& in) { return detail::conv2d_weight_grad(in[0], in[1], g); };
    EXPECT_GRADCHECK(wg, {x, gy});
    EXPECT_GRADGRADCHECK(wg, {x, gy});
    const tensor_fn cs = [](const tensor_list& in) { return detail::channel_sum(in[0]); };
    EXPECT_GRADCHECK(cs, {gy});
    EXPECT_GRADGRADCHECK(cs, {gy});
}

// If conv2d's backward stopped calling conv_transpose2d's forward (or the other way round),
// or the weight/bias gradients stopped going through the shared ops, these fail.
TEST(ConvBackwardStructure, Conv2dInputGradientIsConvTranspose2d)
{
    manual_seed(15);
    Tensor x = leaf({2, 4, 6, 5});
    Tensor w = leaf({6, 2, 3, 2});
    Tensor b = leaf({6});
    const auto opts = conv2d_options().stride(2, 1).padding(1, 0).dilation(1, 2).groups(2);
    Tensor y = conv2d(x, w, b, opts);
    ASSERT_EQ(y.grad_fn()->name(), "conv2d");
    Tensor gy = leaf(y.shape());
    const tensor_list g = grad({y}, {x, w, b}, {gy}, false, /*create_graph=*/true);

    ASSERT_TRUE(g[0].grad_fn());
    EXPECT_EQ(g[0].grad_fn()->name(), "conv_transpose2d");
    // ... applied to (gy, w): its edges lead to exactly those two leaves.
    ASSERT_EQ(g[0].grad_fn()->next().size(), 3u);
    EXPECT_EQ(g[0].grad_fn()->next()[0], detail::edge_to_leaf(gy));
    EXPECT_EQ(g[0].grad_fn()->next()[1], detail::edge_to_leaf(w));
    EXPECT_EQ(g[0].grad_fn()->next()[2], nullptr);   // no bias
    // ... and it is the public transposed op, value for value (same code path: bitwise equal).
    const Tensor expected = conv_transpose2d(
        gy, w, Tensor(), conv_transpose2d_options().stride(2, 1).padding(1, 0).dilation(1, 2).groups(2), pair_t{6, 5});
    EXPECT_TENSOR_NEAR(g[0], expected, 0.0, 0.0);

    ASSERT_TRUE(g[1].grad_fn());
    EXPECT_EQ(g[1].grad_fn()->name(), "conv2d_weight_grad");
    EXPECT_EQ(g[1].grad_fn()->next()[0], detail::edge_to_leaf(x));
    EXPECT_EQ(g[1].grad_fn()->next()[1], detail::edge_to_leaf(gy));
    ASSERT_TRUE(g[2].grad_fn());
    EXPECT_EQ(g[2].grad_fn()->name(), "channel_sum");

    // Second order: the weight gradient's own backward is again the two conv ops.
    const tensor_list gg = grad({g[1]}, {x, gy}, {ones_like(w)}, false, true);
    EXPECT_EQ(gg[0].grad_fn()->name(), "conv_transpose2d");
    EXPECT_EQ(gg[1].grad_fn()->name(), "conv2d");
}

TEST(ConvBackwardStructure, ConvTranspose2dInputGradientIsConv2d)
{
    manual_seed(16);
    Tensor x = leaf({2, 4, 3, 4});
    Tensor w = leaf({4, 3, 3, 2});
    Tensor b = leaf({6});
    const auto opts = conv_transpose2d_options().stride(2, 3).padding(1, 0).output_padding(1, 2).groups(2);
    Tensor y = conv_transpose2d(x, w, b, opts);
    ASSERT_EQ(y.grad_fn()->name(), "conv_transpose2d");
    Tensor gy = leaf(y.shape());
    const tensor_list g = grad({y}, {x, w, b}, {gy}, false, /*create_graph=*/true);

    ASSERT_TRUE(g[0].grad_fn());
    EXPECT_EQ(g[0].grad_fn()->name(), "conv2d");
    EXPECT_EQ(g[0].grad_fn()->next()[0], detail::edge_to_leaf(gy));
    EXPECT_EQ(g[0].grad_fn()->next()[1], detail::edge_to_leaf(w));
    const Tensor expected = conv2d(gy, w, Tensor(), conv2d_options().stride(2, 3).padding(1, 0).groups(2));
    EXPECT_TENSOR_NEAR(g[0], expected, 0.0, 0.0);

    // The transposed op's weight gradient: the convolution's, with the upstream gradient in
    // the input role and the transposed op's input in the output-gradient role.
    ASSERT_TRUE(g[1].grad_fn());
    EXPECT_EQ(g[1].grad_fn()->name(), "conv2d_weight_grad");
    EXPECT_EQ(g[1].grad_fn()->next()[0], detail::edge_to_leaf(gy));
    EXPECT_EQ(g[1].grad_fn()->next()[1], detail::edge_to_leaf(x));
    EXPECT_EQ(g[2].grad_fn()->name(), "channel_sum");
}

// Backward computes only what is needed: with a frozen weight no weight gradient is made.
TEST(ConvBackwardStructure, OnlyNeededGradients)
{
    manual_seed(17);
    Tensor x = leaf({1, 2, 4, 4});
    Tensor w = randn({3, 2, 3, 3}, float64);   // frozen
    Tensor y = conv2d(x, w);
    const tensor_list g = grad({y}, {x}, {ones_like(y)});
    EXPECT_TENSOR_SHAPE(g[0], {1, 2, 4, 4});
    Tensor xf = randn({1, 2, 4, 4}, float64);   // a frozen input: the first layer
    Tensor wl = leaf({3, 2, 3, 3});
    Tensor y2 = conv2d(xf, wl);
    sum(y2).backward();
    EXPECT_TENSOR_SHAPE(wl.grad(), {3, 2, 3, 3});
    EXPECT_FALSE(xf.grad().defined());
}
