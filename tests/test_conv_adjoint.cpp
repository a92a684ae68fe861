// The dot-product test: conv2d and conv_transpose2d with the same weight are adjoint linear
// maps, <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, over a grid of strides, paddings,
// dilations, groups, kernel shapes and odd/even sizes, in float64. It is what catches the
// im2col / col2im index arithmetic drifting apart.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>

using namespace adjoint;

namespace
{
    double dot(const Tensor& a, const Tensor& b)
    {
        EXPECT_EQ(a.shape(), b.shape());
        const auto u = a.to_vector(), v = b.to_vector();
        double s = 0.0;
        for (std::size_t i = 0; i < u.size(); ++i)
        {
            s += u[i] * v[i];
        }
        return s;
    }

    double magnitude(const Tensor& a, const Tensor& b)
    {
        const auto u = a.to_vector(), v = b.to_vector();
        double s = 0.0;
        for (std::size_t i = 0; i < u.size(); ++i)
        {
            s += std::abs(u[i] * v[i]);
        }
        return s;
    }

    // <lhs_a, lhs_b> == <rhs_a, rhs_b> up to rounding relative to the sums' magnitudes.
    void expect_same_inner_product(const Tensor& la, const Tensor& lb, const Tensor& ra, const Tensor& rb)
    {
        const double left = dot(la, lb), right = dot(ra, rb);
        const double scale = std::max(magnitude(la, lb), magnitude(ra, rb));
        EXPECT_GT(scale, 0.0);   // an all-zero product would make the identity vacuous
        EXPECT_NEAR(left, right, 1e-13 * scale + 1e-300) << "<conv2d(x, w), y> = " << left
                                                         << ", <x, conv_transpose2d(y, w)> = " << right;
    }
}

TEST(ConvAdjoint, DotProductIdentityOverGrid)
{
    manual_seed(7);
    int checked = 0, skipped = 0;
    const pair_t kernels[] = {{3, 2}, {2, 3}, {1, 1}};
    const pair_t sizes[] = {{5, 7}, {6, 4}};   // odd and even, unequal
    for (std::int64_t stride = 1; stride <= 3; ++stride)
    {
        for (std::int64_t pad = 0; pad <= 2; ++pad)
        {
            for (std::int64_t dil = 1; dil <= 2; ++dil)
            {
                for (std::int64_t groups = 1; groups <= 2; ++groups)
                {
                    for (const auto& k : kernels)
                    {
                        for (const auto& hw : sizes)
                        {
                            SCOPED_TRACE(detail::str("stride ", stride, " padding ", pad, " dilation ", dil,
                                                     " groups ", groups, " kernel ", k[0], "x", k[1], " input ", hw[0],
                                                     "x", hw[1]));
                            const std::int64_t h_out = conv2d_output_size(hw[0], k[0], stride, pad, dil);
                            const std::int64_t w_out = conv2d_output_size(hw[1], k[1], stride, pad, dil);
                            if (h_out < 1 || w_out < 1)
                            {
                                ++skipped;
                                continue;
                            }
                            const std::int64_t c_in = 2 * groups, c_out = 3 * groups;
                            Tensor x = randn({2, c_in, hw[0], hw[1]}, float64);
                            Tensor w = randn({c_out, c_in / groups, k[0], k[1]}, float64);
                            Tensor y = randn({2, c_out, h_out, w_out}, float64);
                            const Tensor ax =
                                conv2d(x, w, Tensor(),
                                       conv2d_options().stride(stride).padding(pad).dilation(dil).groups(groups));
                            // output_size picks the one transposed output that has x's shape.
                            const Tensor aty = conv_transpose2d(
                                y, w, Tensor(),
                                conv_transpose2d_options().stride(stride).padding(pad).dilation(dil).groups(groups),
                                pair_t{hw[0], hw[1]});
                            expect_same_inner_product(ax, y, x, aty);
                            ++checked;
                        }
                    }
                }
            }
        }
    }
    EXPECT_GT(checked, 150);
    EXPECT_LT(skipped, 30);
}

// padding='same' with an even kernel pads one more row/column at the bottom/right: the
// adjoint must put it in the same place (public conv_transpose2d has no asymmetric padding,
// so the geometry-level op the backward uses is checked directly).
TEST(ConvAdjoint, AsymmetricSamePadding)
{
    manual_seed(8);
    for (std::int64_t kh : {2, 3, 4})
    {
        for (std::int64_t dil : {1, 2, 3})
        {
            SCOPED_TRACE(detail::str("kernel ", kh, "x2, dilation ", dil));
            Tensor x = randn({2, 4, 5, 6}, float64);
            Tensor w = randn({2, 2, kh, 2}, float64);
            const auto opts = conv2d_options().padding("same").dilation(dil, 1).groups(2);
            const Tensor ax = conv2d(x, w, Tensor(), opts);
            EXPECT_TENSOR_SHAPE(ax, {2, 2, 5, 6});
            Tensor y = randn(ax.shape(), float64);
            conv2d_params p;
            p.same_padding = true;
            p.dilation = {dil, 1};
            p.groups = 2;
            const conv_geometry g = conv2d_geometry(x.shape(), w.shape(), std::nullopt, p);
            expect_same_inner_product(ax, y, x, detail::conv_transpose2d_geom(y, w, Tensor(), g));
        }
    }
}

// With output_padding >= stride (allowed while it is < dilation) the transposed output has
// rows no input position reaches; its adjoint is the convolution cut to the transposed
// input's size, which is what the geometry-level conv computes.
TEST(ConvAdjoint, OutputPaddingBeyondStride)
{
    manual_seed(9);
    Tensor y = randn({2, 3, 3, 4}, float64);
    Tensor w = randn({3, 2, 3, 2}, float64);
    const auto opts = conv_transpose2d_options().stride(1, 2).dilation(3, 2).output_padding(2, 1);
    const Tensor aty = conv_transpose2d(y, w, Tensor(), opts);
    EXPECT_TENSOR_SHAPE(aty, {2, 2, 3 - 1 + 3 * 2 + 2 + 1, (4 - 1) * 2 + 2 * 1 + 1 + 1});
    Tensor x = randn(aty.shape(), float64);
    conv_transpose2d_params p;
    p.stride = {1, 2};
    p.dilation = {3, 2};
    p.output_padding = {2, 1};
    const conv_geometry g = conv_transpose2d_geometry(y.shape(), w.shape(), std::nullopt, p);
    expect_same_inner_product(detail::conv2d_geom(x, w, Tensor(), g), y, x, aty);
}

// Unbatched inputs go through the same kernels.
TEST(ConvAdjoint, Unbatched)
{
    manual_seed(10);
    Tensor x = randn({3, 6, 5}, float64);
    Tensor w = randn({4, 3, 2, 3}, float64);
    const Tensor ax = conv2d(x, w, Tensor(), conv2d_options().stride(2, 1).padding(1, 0).dilation(1, 2));
    Tensor y = randn(ax.shape(), float64);
    const Tensor aty = conv_transpose2d(
        y, w, Tensor(), conv_transpose2d_options().stride(2, 1).padding(1, 0).dilation(1, 2), pair_t{6, 5});
    expect_same_inner_product(ax, y, x, aty);
}
