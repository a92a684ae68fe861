// dropout / dropout2d (autograd/dropout.hpp). No PyTorch golden: the mask comes from this
// library's generator. Instead: reproducibility under manual_seed, the kept fraction and the
// mean against statistical bounds (several standard errors, so a wrong scale or a wrong keep
// probability fails), the gradient being exactly mask/(1-p), whole channels for dropout2d,
// identity in eval mode or at p = 0, zeros at p = 1, and the argument errors.
#include "golden_helpers.hpp"

#include <cmath>
#include <limits>

using namespace adjoint;
using namespace golden;

TEST(Dropout, ReproducibleUnderManualSeed)
{
    const Tensor x = irregular({50, 40}, 0.5, 1.5).detach();
    manual_seed(11);
    const Tensor a = dropout(x, 0.3);
    manual_seed(11);
    const Tensor b = dropout(x, 0.3);
    EXPECT_TENSOR_NEAR(a, b, 0.0, 0.0);
    const Tensor c = dropout(x, 0.3);   // the generator moved on: another mask
    EXPECT_GT(sum(abs(a - c)).item(), 1.0);
    // The draws are float64 whatever the input's dtype, so float32 gets the same mask.
    manual_seed(11);
    const Tensor f = dropout(x.to(float32), 0.3);
    EXPECT_TENSOR_NEAR(eq(f.to(float64), 0.0), eq(a, 0.0), 0.0, 0.0);
}

TEST(Dropout, KeepsOneMinusPAndPreservesTheMean)
{
    // n = 200000 ones: the kept fraction has standard error sqrt(p (1-p) / n) ~ 0.001 and the
    // mean sqrt(p / ((1-p) n)) ~ 0.0015; the bounds are about 5 standard errors.
    manual_seed(2024);
    const double p = 0.3;
    const Tensor y = dropout(ones({200000}, float64), p);
    const double kept = mean(ne(y, 0.0)).item();
    EXPECT_NEAR(kept, 1.0 - p, 0.005);
    EXPECT_NEAR(mean(y).item(), 1.0, 0.008);
    // Every survivor is exactly 1/(1-p).
    EXPECT_NEAR(max(y).item(), 1.0 / (1.0 - p), 1e-15);
    EXPECT_NEAR(sum(y).item(), kept * 200000.0 / (1.0 - p), 1e-6);
}

TEST(Dropout, GradientIsTheMaskOverOneMinusP)
{
    manual_seed(5);
    const double p = 0.4;
    Tensor x = irregular({30, 20}, 0.5, 2.0);
    const Tensor y = dropout(x, p);
    const Tensor w = irregular({30, 20}, -1.0, 1.0).detach();
    sum(y * w).backward();
    const Tensor mask = ne(y.detach(), 0.0);   // x is never 0, so y == 0 exactly where dropped
    EXPECT_TENSOR_NEAR(x.grad(), w * mask / (1.0 - p), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(y, x.detach() * mask / (1.0 - p), 0.0, 1e-15);
    // With the seed fixed inside, dropout is a deterministic linear map: gradcheck it.
    EXPECT_GRADCHECK(
        [](const tensor_list& in) {
            manual_seed(9);
            return dropout(in[0], 0.25);
        },
        {irregular({4, 5})});
    EXPECT_GRADGRADCHECK(
        [](const tensor_list& in) {
            manual_seed(9);
            return dropout2d(in[0], 0.5) * in[0];
        },
        {irregular({2, 3, 2, 2})});
}

TEST(Dropout, EvalZeroAndOne)
{
    Tensor x = irregular({3, 4});
    EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
    EXPECT_TRUE(dropout(x, 0.0).is_same(x));
    EXPECT_TRUE(dropout2d(reshape(x, {1, 3, 2, 2}), 0.9, false).requires_grad());
    const Tensor x4 = reshape(x, {3, 2, 2});
    EXPECT_TRUE(dropout2d(x4, 0.7, false).is_same(x4));
    const Tensor y = dropout(x, 1.0);
    EXPECT_TENSOR_NEAR(y, zeros({3, 4}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad({sum(y)}, {x})[0], zeros({3, 4}, float64), 0.0, 0.0);   // zeros, not NaN
    EXPECT_TENSOR_NEAR(dropout2d(x4, 1.0), zeros({3, 2, 2}, float64), 0.0, 0.0);
}

TEST(Dropout2d, DropsWholeChannels)
{
    manual_seed(77);
    const double p = 0.5;
    const std::int64_t n = 40, c = 50, h = 3, w = 4;
    const Tensor y = dropout2d(ones({n, c, h, w}, float64), p);
    EXPECT_TENSOR_SHAPE(y, {n, c, h, w});
    // Each (sample, channel) plane is constant: all dropped or all 1/(1-p).
    const Tensor plane_max = max(max(y, 3), 2), plane_min = min(min(y, 3), 2);
    EXPECT_TENSOR_NEAR(plane_max, plane_min, 0.0, 0.0);
    // 2000 planes: the kept fraction's standard error is ~0.011; bound ~4.5 of them.
    EXPECT_NEAR(mean(ne(plane_max, 0.0)).item(), 1.0 - p, 0.05);
    EXPECT_NEAR(mean(y).item(), 1.0, 0.1);
    // (C, H, W): one draw per channel.
    const Tensor y3 = dropout2d(ones({c, h, w}, float64), p);
    EXPECT_TENSOR_NEAR(max(max(y3, 2), 1), min(min(y3, 2), 1), 0.0, 0.0);
    // The gradient is the same per-channel mask.
    Tensor x = irregular({2, 3, 2, 2}, 0.5, 1.5);
    manual_seed(3);
    const Tensor z = dropout2d(x, 0.3);
    sum(z).backward();
    EXPECT_TENSOR_NEAR(x.grad(), ne(z.detach(), 0.0) / 0.7, 0.0, 1e-15);
}

TEST(DropoutErrors, Messages)
{
    const Tensor x = zeros({2, 3, 4, 4});
    EXPECT_THROW_MESSAGE(std::invalid_argument, "dropout: dropout probability has to be between 0 and 1, but got 1.5",
                         dropout(x, 1.5));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "dropout: dropout probability has to be between 0 and 1, but got -0.1",
                         dropout(x, -0.1, false));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "dropout: dropout probability has to be between 0 and 1, but got nan",
                         dropout(x, std::numeric_limits<double>::quiet_NaN()));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "dropout2d: dropout probability has to be between 0 and 1, but got 2", dropout2d(x, 2.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "dropout2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (2, 3)",
                         dropout2d(zeros({2, 3}), 0.5));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "dropout: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         dropout(zeros({2}, int64), 0.5));
}
