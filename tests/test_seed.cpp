// The seed blog post's two worked examples, computed with the real ops, and their gradients
// worked out by hand below. Everything here is small integers, so comparisons are exact.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

using namespace adjoint;

namespace
{
    // The post's 2-d matrices as [N=1, C=1, H, W] tensors.
    Tensor image(const nested_values& rows, dtype dt = float64)
    {
        Tensor t = tensor(rows, dt);
        return reshape(t, {1, 1, t.size(0), t.size(1)});
    }

    Tensor leaf(const nested_values& rows)
    {
        return image(rows).detach().requires_grad_();
    }
}

// Each output entry is the dot product of the kernel with one 2x2 window of the input:
//   y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37   (the post's prose says 19; its own arithmetic gives 37)
//   y01 = 2*1 + 3*2 + 5*3 + 6*4 = 47
//   y10 = 4*1 + 5*2 + 7*3 + 8*4 = 67
//   y11 = 5*1 + 6*2 + 8*3 + 9*4 = 77
TEST(Seed, ConvolutionExample)
{
    for (dtype dt : {float64, float32})
    {
        Tensor x = image({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, dt);
        Tensor k = image({{1, 2}, {3, 4}}, dt);
        EXPECT_TENSOR_NEAR(conv2d(x, k), image({{37, 47}, {67, 77}}, dt), 0.0, 0.0);
    }
}

TEST(Seed, ConvolutionExampleUnbatched)
{
    Tensor x = tensor({{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}}, float64);   // [C=1, 3, 3]
    Tensor k = image({{1, 2}, {3, 4}});
    EXPECT_TENSOR_NEAR(conv2d(x, k), tensor({{{37, 47}, {67, 77}}}, float64), 0.0, 0.0);
}

// Each input entry stamps a scaled copy of the kernel into a zero 3x3 output at its own
// position (stride 1, no padding), and the stamps add up:
//   0 * K at (0,0): nothing            1 * K at (0,1): [0 1; 2 3] in rows 0-1, cols 1-2
//   2 * K at (1,0): [0 2; 4 6] in rows 1-2, cols 0-1
//   3 * K at (1,1): [0 3; 6 9] in rows 1-2, cols 1-2
//   sum: [[0, 0, 1], [0, 0+2+0, 2+3+3], [0+4, 6+6, 9]] = [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
TEST(Seed, TransposedConvolutionExample)
{
    for (dtype dt : {float64, float32})
    {
        Tensor x = image({{0, 1}, {2, 3}}, dt);
        Tensor k = image({{0, 1}, {2, 3}}, dt);
        EXPECT_TENSOR_NEAR(conv_transpose2d(x, k), image({{0, 0, 1}, {0, 4, 6}, {4, 12, 9}}, dt), 0.0, 0.0);
    }
}

// L = sum(conv2d(x, k)). Input x[i][j] meets kernel entry k[a][b] in output y[i-a][j-b]
// whenever that output exists, so dL/dx[i][j] = sum of the k[a][b] whose window covers
// (i, j) — exactly the ones map [[1,1],[1,1]] transposed-convolved with k:
//   [[1,   1+2,     2],        [[1,  3, 2],
//    [1+3, 1+2+3+4, 2+4],  =    [4, 10, 6],
//    [3,   3+4,     4]]         [3,  7, 4]]
// dL/dk[a][b] = sum over outputs of the input entry k[a][b] touched there, i.e. the sum of
// the 2x2 block of x starting at (a, b): [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]] = [[12, 16], [24, 28]].
TEST(Seed, ConvolutionGradients)
{
    Tensor x = leaf({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
    Tensor k = leaf({{1, 2}, {3, 4}});
    sum(conv2d(x, k)).backward();
    EXPECT_TENSOR_NEAR(x.grad(), image({{1, 3, 2}, {4, 10, 6}, {3, 7, 4}}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(k.grad(), image({{12, 16}, {24, 28}}), 0.0, 0.0);
    // The input gradient is literally the transposed convolution of the upstream gradient.
    EXPECT_TENSOR_NEAR(x.grad(), conv_transpose2d(ones({1, 1, 2, 2}, float64), k.detach()), 0.0, 0.0);
}

// L = sum(conv_transpose2d(x, k)): every x[i][j] is stamped as x[i][j] * k, all of which
// lands inside the output, so dL/dx[i][j] = sum(k) = 0+1+2+3 = 6 everywhere; by the same
// argument dL/dk[a][b] = sum(x) = 6 everywhere.
TEST(Seed, TransposedConvolutionGradientsOfSum)
{
    Tensor x = leaf({{0, 1}, {2, 3}});
    Tensor k = leaf({{0, 1}, {2, 3}});
    sum(conv_transpose2d(x, k)).backward();
    EXPECT_TENSOR_NEAR(x.grad(), image({{6, 6}, {6, 6}}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(k.grad(), image({{6, 6}, {6, 6}}), 0.0, 0.0);
}

// A less uniform upstream gradient shows the structure: weight the outputs by
// g = [[1,2,3],[4,5,6],[7,8,9]], i.e. L = sum(g * conv_transpose2d(x, k)).
// dL/dx[i][j] = sum_ab k[a][b] g[i+a][j+b] — the (plain) convolution of g with k:
//   (0,0): 0*1 + 1*2 + 2*4 + 3*5 = 25    (0,1): 0*2 + 1*3 + 2*5 + 3*6 = 31
//   (1,0): 0*4 + 1*5 + 2*7 + 3*8 = 43    (1,1): 0*5 + 1*6 + 2*8 + 3*9 = 49
// dL/dk[a][b] = sum_ij x[i][j] g[i+a][j+b]; with x equal to k that is the same sum, so
// dL/dk = [[25, 31], [43, 49]] too (the full convolution is symmetric in its two operands).
TEST(Seed, TransposedConvolutionGradientsWeighted)
{
    Tensor x = leaf({{0, 1}, {2, 3}});
    Tensor k = leaf({{0, 1}, {2, 3}});
    Tensor g = image({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
    conv_transpose2d(x, k).backward(g);
    EXPECT_TENSOR_NEAR(x.grad(), image({{25, 31}, {43, 49}}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(k.grad(), image({{25, 31}, {43, 49}}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(x.grad(), conv2d(g, k.detach()), 0.0, 0.0);
}

// With create_graph the gradient is itself a recorded tensor: it was produced by a call of
// conv_transpose2d's forward, so the graph says so.
TEST(Seed, ConvolutionInputGradientIsRecordedAsTransposedConvolution)
{
    Tensor x = leaf({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
    Tensor k = leaf({{1, 2}, {3, 4}});
    Tensor y = conv2d(x, k);
    Tensor dx = grad({y}, {x}, {ones_like(y)}, /*retain_graph=*/false, /*create_graph=*/true)[0];
    ASSERT_TRUE(dx.grad_fn() != nullptr);
    EXPECT_EQ(dx.grad_fn()->name(), "conv_transpose2d");
    EXPECT_TENSOR_NEAR(dx, image({{1, 3, 2}, {4, 10, 6}, {3, 7, 4}}), 0.0, 0.0);
}
