// Reductions: hand-worked values over axes with and without keepdim, the tie rules of max/min,
// argmax/argmin, var, float64 gradcheck of every op, gradgradcheck of sum/mean/var/max,
// PyTorch goldens (tests/fixtures/generate_ops.py) at 1e-10, and the bad-argument messages.
#include "golden_helpers.hpp"

#include <cmath>

using namespace adjoint;
using namespace golden;

// ---- sum and mean ----

TEST(Reduce, SumOverAxes)
{
    const Tensor x = distinct({2, 3, 4}, 0.0, 1.0).detach(); // 0 .. 23
    EXPECT_TENSOR_NEAR(sum(x), scalar(276.0, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(sum(x), {});
    EXPECT_TENSOR_NEAR(sum(x, {0}), reshape(arange(12.0, float64) * 2.0 + 12.0, {3, 4}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(sum(x, {-1}), tensor({{6.0, 22.0, 38.0}, {54.0, 70.0, 86.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(sum(x, {1}, true), tensor({{{12.0, 15.0, 18.0, 21.0}}, {{48.0, 51.0, 54.0, 57.0}}}, float64),
                       0.0, 0.0);
    // Non-adjacent axes, given in any order; adjacent ones reduce in one pass.
    EXPECT_TENSOR_NEAR(sum(x, {2, 0}), tensor({60.0, 92.0, 124.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(sum(x, {1, 2}), tensor({66.0, 210.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(sum(x, {0, 1, 2}, true), {1, 1, 1});
    // No axes: nothing is reduced (NumPy), unlike torch.sum(dim=[]).
    EXPECT_TENSOR_NEAR(sum(x, {}), x, 0.0, 0.0);
}

TEST(Reduce, MeanOverAxes)
{
    const Tensor x = distinct({2, 3, 4}, 0.0, 1.0).detach();
    EXPECT_TENSOR_NEAR(mean(x), scalar(11.5, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(mean(x, {1, 2}), tensor({5.5, 17.5}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_SHAPE(mean(x, {0}, true), {1, 3, 4});
    // An empty reduction has no mean: NaN, as in PyTorch.
    EXPECT_TRUE(std::isnan(mean(zeros({0, 3}, float64)).item()));
    EXPECT_EQ(sum(zeros({0, 3}, float64)).item(), 0.0);
}

TEST(Reduce, ZeroDimensionalTensors)
{
    Tensor s = scalar(3.0, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(sum(s, {0}), s, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(mean(s, {-1}, true), s, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(max(s, 0), s, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(argmax(s, 0), scalar(0.0, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad({max(s, 0)}, {s})[0], scalar(1.0, float64), 0.0, 0.0);
}

TEST(Reduce, LongReductionsStayAccurateInFloat32)
{
    // Sums accumulate in double: 2^24 + 1 ones would stall at 2^24 in a float accumulator.
    const std::int64_t n = (1 << 24) + 2;
    EXPECT_EQ(sum(ones({n})).item(), static_cast<double>(n));
    EXPECT_EQ(sum(ones({2, n / 2}), {1}).to_vector(), (std::vector<double>{n / 2.0, n / 2.0}));
}

// ---- max / min / argmax / argmin ----

TEST(Reduce, MaxMinAlongAnAxis)
{
    const Tensor x = tensor({{1.0, 5.0, 5.0}, {7.0, -2.0, 7.0}}, float64);
    EXPECT_TENSOR_NEAR(max(x, 1), tensor({5.0, 7.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(max(x, 0, true), tensor({{7.0, 5.0, 7.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(min(x, -1), tensor({1.0, -2.0}, float64), 0.0, 0.0);
    // Ties: the first extreme position.
    EXPECT_TENSOR_NEAR(argmax(x, 1), tensor({1.0, 0.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(argmin(x, 0, true), tensor({{0.0, 1.0, 0.0}}, float64), 0.0, 0.0);
    EXPECT_FALSE(argmax(x.detach().requires_grad_(), 1).requires_grad());
    EXPECT_EQ(argmax(x.to(float32), 1).dtype(), int64);   // indices are int64 for every input dtype
}

TEST(Reduce, ArgmaxOverAllElementsIsAFlatIndex)
{
    const Tensor x = tensor({{1.0, 7.0, 3.0}, {7.0, -2.0, 0.0}}, float64);
    EXPECT_TENSOR_SHAPE(argmax(x), {});
    EXPECT_EQ(argmax(x).item(), 1.0); // the first of the two 7s
    EXPECT_EQ(argmin(x).item(), 4.0);
    EXPECT_EQ(argmax(scalar(2.0)).item(), 0.0);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "argmax: expected a non-empty tensor, got shape (2, 0)",
                         argmax(zeros({2, 0})));
}

TEST(Reduce, MaxAlongAxisSendsGradientToTheFirstMaximum)
{
    Tensor x = tensor({{1.0, 5.0, 5.0}, {7.0, -2.0, 7.0}}, float64).requires_grad_();
    auto g = grad({sum(max(x, 1) * tensor({10.0, 20.0}, float64))}, {x})[0];
    EXPECT_TENSOR_NEAR(g, tensor({{0.0, 10.0, 0.0}, {20.0, 0.0, 0.0}}, float64), 0.0, 0.0);
    g = grad({sum(min(x, 0, true))}, {x})[0];
    EXPECT_TENSOR_NEAR(g, tensor({{1.0, 0.0, 1.0}, {0.0, 1.0, 0.0}}, float64), 0.0, 0.0);
}

TEST(Reduce, FullMaxSplitsTheGradientAmongTies)
{
    Tensor x = tensor({{1.0, 5.0, 5.0}, {5.0, -2.0, 0.0}}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(max(x), scalar(5.0, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(min(x), scalar(-2.0, float64), 0.0, 0.0);
    auto g = grad({max(x) * 3.0}, {x})[0];
    EXPECT_TENSOR_NEAR(g, tensor({{0.0, 1.0, 1.0}, {1.0, 0.0, 0.0}}, float64), 0.0, 1e-15);
    g = grad({min(x)}, {x})[0];
    EXPECT_TENSOR_NEAR(g, tensor({{0.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}, float64), 0.0, 0.0);
}

TEST(Reduce, MaxPropagatesNaN)
{
    const Tensor x = tensor({{1.0, NAN, 3.0}, {4.0, 2.0, 0.0}}, float64);
    EXPECT_TRUE(std::isnan(max(x).item()));
    EXPECT_TRUE(std::isnan(min(x).item()));
    EXPECT_TRUE(std::isnan(max(x, 1).to_vector()[0]));
    EXPECT_EQ(max(x, 1).to_vector()[1], 4.0);
    EXPECT_EQ(argmax(x, 1).to_vector(), (std::vector<double>{1.0, 0.0}));
    EXPECT_EQ(argmin(x, 1).to_vector(), (std::vector<double>{1.0, 2.0}));
}

// ---- var ----

TEST(Reduce, Variance)
{
    const Tensor x = tensor({{1.0, 2.0, 3.0, 4.0}, {2.0, 4.0, 6.0, 8.0}}, float64);
    // Row 0: mean 2.5, squared deviations 5; row 1: mean 5, squared deviations 20.
    EXPECT_TENSOR_NEAR(var(x, {1}), tensor({5.0 / 3.0, 20.0 / 3.0}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(var(x, {1}, 0), tensor({1.25, 5.0}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(var(x, {0}, 1, true), tensor({{0.5, 2.0, 4.5, 8.0}}, float64), 0.0, 1e-15);
    // Mean 3.75 over all eight; squared deviations sum to 37.5.
    EXPECT_TENSOR_NEAR(var(x), scalar(37.5 / 7.0, float64), 0.0, 1e-15);
    // A braced axis list means axes, not the correction.
    EXPECT_TENSOR_NEAR(var(x, {0}), var(x, std::vector<std::int64_t>{0}), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(var(x, {}), {2, 4});
    // Large offset, small spread: the two-pass form keeps the digits a sum-of-squares form loses.
    EXPECT_TENSOR_NEAR(var(tensor({1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0}, float64)), scalar(1.0, float64), 0.0, 1e-12);
    // One sample with Bessel's correction: no estimate, NaN as in PyTorch.
    EXPECT_TRUE(std::isnan(var(tensor({3.0}, float64)).item()));
}

// ---- gradcheck ----

TEST(ReduceGradcheck, EveryOp)
{
    Tensor x = irregular({2, 3, 4});
    EXPECT_GRADCHECK([](const tensor_list& in) { return sum(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return sum(in[0], {0, 2}); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return sum(in[0], {1}, true); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return mean(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return mean(in[0], {-1, 0}, true); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return max(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return min(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return max(in[0], 1); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return max(in[0], 0, true); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return min(in[0], -1); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return var(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return var(in[0], {0, 2}, 0, true); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return var(in[0], {1}); }, {x});
}

TEST(ReduceGradgradcheck, Subset)
{
    Tensor x = irregular({2, 3, 2});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return sum(in[0], {1}) * sum(in[0], {1}); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return mean(in[0], {0, 2}, true) * in[0]; }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return var(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return var(in[0], {2}); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return max(in[0], 1) * max(in[0], 1); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return max(in[0]) * in[0]; }, {x});
}

// ---- PyTorch goldens ----

TEST(ReduceGolden, SumMean)
{
    expect_matches_golden("ops", "sum_axes", 1, [](const tensor_list& in) { return sum(in[0], {0, 2}); });
    expect_matches_golden("ops", "sum_keepdim", 1, [](const tensor_list& in) { return sum(in[0], {1}, true); });
    expect_matches_golden("ops", "sum_last", 1, [](const tensor_list& in) { return sum(in[0], {-1}); });
    expect_matches_golden("ops", "sum_all", 1, [](const tensor_list& in) { return sum(in[0]); });
    expect_matches_golden("ops", "mean_axes", 1, [](const tensor_list& in) { return mean(in[0], {1, 2}); });
    expect_matches_golden("ops", "mean_keepdim", 1, [](const tensor_list& in) { return mean(in[0], {0}, true); });
    expect_matches_golden("ops", "mean_all", 1, [](const tensor_list& in) { return mean(in[0]); });
}

TEST(ReduceGolden, MaxMinWithTies)
{
    expect_matches_golden("ops", "max_axis", 1, [](const tensor_list& in) { return max(in[0], 1); });
    expect_matches_golden("ops", "max_axis_keepdim", 1, [](const tensor_list& in) { return max(in[0], 0, true); });
    expect_matches_golden("ops", "min_axis", 1, [](const tensor_list& in) { return min(in[0], -1); });
    expect_matches_golden("ops", "max_all", 1, [](const tensor_list& in) { return max(in[0]); });
    expect_matches_golden("ops", "min_all", 1, [](const tensor_list& in) { return min(in[0]); });
    expect_forward_matches_golden("ops", "argmax", 1, [](const tensor_list& in) { return argmax(in[0], 1); });
    expect_forward_matches_golden("ops", "argmin", 1, [](const tensor_list& in) { return argmin(in[0], 0, true); });
    expect_forward_matches_golden("ops", "argmax_all", 1, [](const tensor_list& in) { return argmax(in[0]); });
    expect_forward_matches_golden("ops", "argmin_all", 1, [](const tensor_list& in) { return argmin(in[0]); });
}

TEST(ReduceGolden, Var)
{
    expect_matches_golden("ops", "var_all", 1, [](const tensor_list& in) { return var(in[0]); });
    expect_matches_golden("ops", "var_axes", 1, [](const tensor_list& in) { return var(in[0], {0, 2}, 1, true); });
    expect_matches_golden("ops", "var_biased", 1, [](const tensor_list& in) { return var(in[0], {1}, 0); });
}

// ---- bad arguments ----

TEST(ReduceErrors, AxisOutOfRange)
{
    const Tensor x = zeros({2, 3});
    EXPECT_THROW_MESSAGE(std::invalid_argument, "sum: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         sum(x, {2}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "mean: axis must be in [-2, 1] for a tensor of 2 dimensions, got -3",
                         mean(x, {0, -3}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "max: axis must be in [-2, 1] for a tensor of 2 dimensions, got 5",
                         max(x, 5));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "min: axis must be in [-2, 1] for a tensor of 2 dimensions, got -3",
                         min(x, -3));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "argmax: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         argmax(x, 2));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "argmin: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         argmin(x, 2));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "var: axis must be in [-2, 1] for a tensor of 2 dimensions, got 3",
                         var(x, {3}));
}

TEST(ReduceErrors, RepeatedAxis)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "sum: each axis may appear once, got axis 1 twice for shape (2, 3)",
                         sum(zeros({2, 3}), {1, -1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "var: each axis may appear once, got axis 0 twice for shape (2, 3)",
                         var(zeros({2, 3}), {0, 0}));
}

TEST(ReduceErrors, EmptyMaxMin)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "max: expected a non-empty tensor, got shape (0, 3)",
                         max(zeros({0, 3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "min: expected a non-empty tensor, got shape (0,)", min(zeros({0})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "max: the reduced axis must not be empty, got size 0 along axis 1 of shape (2, 0)",
                         max(zeros({2, 0}), 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "argmin: the reduced axis must not be empty, got size 0 along axis 0 of shape (0, 2)",
                         argmin(zeros({0, 2}), 0));
    // Reducing the other axis of an empty tensor is fine: an empty result.
    EXPECT_TENSOR_SHAPE(max(zeros({0, 3}), 1), {0});
}

TEST(ReduceErrors, NegativeCorrection)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "var: correction must be >= 0, got -1", var(zeros({3}), -1));
}
