// matmul: hand-worked products, numpy's 1-d rules, broadcast batch dimensions, empty inner
// dimension, float64 gradcheck and gradgradcheck of each form, PyTorch goldens
// (tests/fixtures/generate_ops.py) at 1e-10, and the bad-argument messages.
#include "golden_helpers.hpp"

using namespace adjoint;
using namespace golden;

namespace
{
    // The (i)th matrix of a 3-d batch, as a 2-d tensor.
    Tensor batch_item(const Tensor& t, std::int64_t i) { return reshape(narrow(t, 0, i, 1), {t.size(1), t.size(2)}); }
} // namespace

TEST(Matmul, HandWorked)
{
    const Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, float64);
    const Tensor b = tensor({{7.0, 8.0}, {9.0, 10.0}, {11.0, 12.0}}, float64);
    EXPECT_TENSOR_NEAR(matmul(a, b), tensor({{58.0, 64.0}, {139.0, 154.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(matmul(b, a), tensor({{39.0, 54.0, 69.0}, {49.0, 68.0, 87.0}, {59.0, 82.0, 105.0}}, float64),
                       0.0, 0.0);
    EXPECT_TENSOR_NEAR(matmul(a.to(float32), b.to(float32)), tensor({{58.0f, 64.0f}, {139.0f, 154.0f}}), 0.0, 0.0);
}

TEST(Matmul, OneDimensionalOperandsFollowNumpy)
{
    const Tensor v = tensor({1.0, 2.0, 3.0}, float64);
    const Tensor m = tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}}, float64);
    const Tensor batch = stack({m, m * 2.0}); // (2, 3, 2)
    EXPECT_TENSOR_SHAPE(matmul(v, v), {});
    EXPECT_EQ(matmul(v, v).item(), 14.0);
    EXPECT_TENSOR_NEAR(matmul(v, m), tensor({4.0, 5.0}, float64), 0.0, 0.0);                    // (3,) @ (3, 2)
    EXPECT_TENSOR_NEAR(matmul(transpose(m, 0, 1), v), tensor({4.0, 5.0}, float64), 0.0, 0.0);   // (2, 3) @ (3,)
    EXPECT_TENSOR_NEAR(matmul(v, batch), tensor({{4.0, 5.0}, {8.0, 10.0}}, float64), 0.0, 0.0); // (3,) @ (2, 3, 2)
    EXPECT_TENSOR_SHAPE(matmul(permute(batch, {0, 2, 1}), v), {2, 2});                          // (2, 2, 3) @ (3,)
}

TEST(Matmul, BroadcastBatchMatchesPerMatrixProducts)
{
    const Tensor a = irregular({2, 1, 3, 4}).detach();
    const Tensor b = irregular({3, 4, 5}, -2.0, 1.5).detach();
    const Tensor c = matmul(a, b);
    EXPECT_TENSOR_SHAPE(c, {2, 3, 3, 5});
    for (std::int64_t i = 0; i < 2; ++i)
    {
        for (std::int64_t j = 0; j < 3; ++j)
        {
            const Tensor ai = batch_item(reshape(a, {2, 3, 4}), i);
            const Tensor cij = batch_item(reshape(narrow(c, 0, i, 1), {3, 3, 5}), j);
            EXPECT_TENSOR_NEAR(cij, matmul(ai, batch_item(b, j)), 1e-14, 0.0) << "batch " << i << ", " << j;
        }
    }
    // A (batch, n, k) @ (k, m) product folds the batch into one gemm; same values.
    const Tensor x = irregular({4, 3, 4}).detach();
    const Tensor w = batch_item(b, 1);
    const Tensor y = matmul(x, w);
    for (std::int64_t i = 0; i < 4; ++i)
    {
        EXPECT_TENSOR_NEAR(batch_item(y, i), matmul(batch_item(x, i), w), 1e-14, 0.0) << "batch " << i;
    }
}

TEST(Matmul, EmptyInnerDimensionGivesZeros)
{
    Tensor a = zeros({2, 0}, float64).requires_grad_();
    Tensor b = zeros({0, 3}, float64).requires_grad_();
    const Tensor c = matmul(a, b);
    EXPECT_TENSOR_NEAR(c, zeros({2, 3}, float64), 0.0, 0.0);
    const auto g = grad({sum(c)}, {a, b});
    EXPECT_TENSOR_SHAPE(g[0], {2, 0});
    EXPECT_TENSOR_SHAPE(g[1], {0, 3});
    EXPECT_TENSOR_SHAPE(matmul(zeros({0, 2, 3}), zeros({3, 4})), {0, 2, 4});
}

TEST(Matmul, GradientsAreMatmulsWithTransposes)
{
    Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}, float64).requires_grad_();
    Tensor b = tensor({{5.0, 6.0}, {7.0, 8.0}}, float64).requires_grad_();
    const Tensor g = tensor({{1.0, 0.0}, {0.0, 2.0}}, float64);
    const auto grads = grad({matmul(a, b)}, {a, b}, {g});
    EXPECT_TENSOR_NEAR(grads[0], tensor({{5.0, 7.0}, {12.0, 16.0}}, float64), 0.0, 0.0); // g @ b^T
    EXPECT_TENSOR_NEAR(grads[1], tensor({{1.0, 6.0}, {2.0, 8.0}}, float64), 0.0, 0.0);   // a^T @ g
}

// ---- gradcheck ----

TEST(MatmulGradcheck, EveryForm)
{
    const auto mm = [](const tensor_list& in) { return matmul(in[0], in[1]); };
    EXPECT_GRADCHECK(mm, {irregular({3, 4}), irregular({4, 2}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({2, 3, 4}), irregular({2, 4, 2}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({2, 1, 2, 3}), irregular({3, 3, 2}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({2, 3, 4}), irregular({4, 2}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({3, 4}), irregular({2, 4, 2}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({4}), irregular({2, 4, 3}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({2, 3, 4}), irregular({4}, -0.5, 1.5)});
    EXPECT_GRADCHECK(mm, {irregular({4}), irregular({4}, -0.5, 1.5)});
}

TEST(MatmulGradgradcheck, EveryForm)
{
    // Double backward runs the transposed products (g @ b^T, a^T @ g) through their own backward.
    const auto mm = [](const tensor_list& in) { return matmul(in[0], in[1]); };
    EXPECT_GRADGRADCHECK(mm, {irregular({3, 4}), irregular({4, 2}, -0.5, 1.5)});
    EXPECT_GRADGRADCHECK(mm, {irregular({2, 1, 2, 3}), irregular({3, 3, 2}, -0.5, 1.5)});
    EXPECT_GRADGRADCHECK(mm, {irregular({2, 3, 4}), irregular({4, 2}, -0.5, 1.5)});
    EXPECT_GRADGRADCHECK(mm, {irregular({3, 4}), irregular({2, 4, 2}, -0.5, 1.5)});
    EXPECT_GRADGRADCHECK(mm, {irregular({4}), irregular({2, 4, 3}, -0.5, 1.5)});
    EXPECT_GRADGRADCHECK(mm, {irregular({4}), irregular({4}, -0.5, 1.5)});
    // A product of products: the transposed forms appear in the first backward already.
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return matmul(matmul(in[0], in[1]), in[1]); },
                         {irregular({2, 3, 3}), irregular({3, 3}, -0.5, 1.5)});
}

// ---- PyTorch goldens ----

TEST(MatmulGolden, EveryForm)
{
    const auto mm = [](const tensor_list& in) { return matmul(in[0], in[1]); };
    for (const char* name :
         {"mm", "bmm", "bcast_batch", "batch_by_matrix", "matrix_by_batch", "vec_mat", "mat_vec", "dot"})
    {
        expect_matches_golden("ops", name, 2, mm);
    }
}

// ---- bad arguments ----

TEST(MatmulErrors, ShapeMismatchNamesBothShapes)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "matmul: inner dimensions must match, got (2, 3) @ (4, 5) (3 vs 4)",
                         matmul(zeros({2, 3}), zeros({4, 5})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "matmul: inner dimensions must match, got (3,) @ (4,) (3 vs 4)",
                         matmul(zeros({3}), zeros({4})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "matmul: inner dimensions must match, got (2, 3, 4) @ (5,) (4 vs 5)",
                         matmul(zeros({2, 3, 4}), zeros({5})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "matmul: batch dimensions must be broadcastable, got (2, 3, 4) @ (5, 4, 2) "
                         "(batch (2,) vs (5,))",
                         matmul(zeros({2, 3, 4}), zeros({5, 4, 2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "matmul: both operands must have at least 1 dimension, got () @ (2,)",
                         matmul(scalar(1.0), zeros({2})));
}

TEST(MatmulErrors, MixedDtypes)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "matmul: all inputs must have the same dtype, got float32 and float64; "
                         "convert one with .to()",
                         matmul(zeros({2, 2}), zeros({2, 2}, float64)));
}

TEST(Matmul, Float32GradientsMatchFloat64)
{
    const Tensor a64 = irregular({2, 3, 4}), b64 = irregular({4, 5}, -0.5, 1.5);
    const Tensor a32 = a64.detach().to(float32).requires_grad_(), b32 = b64.detach().to(float32).requires_grad_();
    const auto g64 = grad({sum(matmul(a64, b64) * matmul(a64, b64))}, {a64, b64});
    const auto g32 = grad({sum(matmul(a32, b32) * matmul(a32, b32))}, {a32, b32});
    EXPECT_EQ(g32[0].dtype(), float32);
    EXPECT_TENSOR_NEAR(g32[0].to(float64), g64[0], 1e-5, 1e-5);
    EXPECT_TENSOR_NEAR(g32[1].to(float64), g64[1], 1e-5, 1e-5);
}
