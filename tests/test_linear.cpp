// linear (autograd/linear.hpp): PyTorch goldens (tests/fixtures/generate_activation.py) of the
// output and the gradients of input, weight and bias at 1e-10 for 1-d, 2-d and batched inputs
// with and without bias; gradcheck and gradgradcheck; float32 against float64; bad shapes.
#include "golden_helpers.hpp"

using namespace adjoint;
using namespace golden;

namespace
{
    Tensor with_bias(const tensor_list& in) { return linear(in[0], in[1], in[2]); }
    Tensor without_bias(const tensor_list& in) { return linear(in[0], in[1]); }
} // namespace

TEST(LinearGolden, EveryForm)
{
    expect_matches_golden("activation", "linear_2d", 3, with_bias);
    expect_matches_golden("activation", "linear_batched", 3, with_bias);
    expect_matches_golden("activation", "linear_vector", 3, with_bias);
    expect_matches_golden("activation", "linear_no_bias", 2, without_bias);
}

TEST(Linear, HandWorkedValuesAndShapes)
{
    const Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, float64);
    const Tensor w = tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, -1.0}}, float64);
    const Tensor b = tensor({10.0, 20.0, 30.0}, float64);
    EXPECT_TENSOR_NEAR(linear(x, w, b), tensor({{11.0, 22.0, 29.0}, {13.0, 24.0, 29.0}, {15.0, 26.0, 29.0}}, float64),
                       0.0, 0.0);
    EXPECT_TENSOR_SHAPE(linear(zeros({2, 5, 4, 2}, float64), w), {2, 5, 4, 3});
    EXPECT_TENSOR_SHAPE(linear(zeros({2}, float64), w, b), {3});
    EXPECT_TENSOR_SHAPE(linear(zeros({0, 2}, float64), w, b), {0, 3});
}

TEST(LinearGradcheck, EveryForm)
{
    const Tensor w = irregular({4, 3});
    const Tensor b = irregular({4}, -0.5, 0.5);
    EXPECT_GRADCHECK(with_bias, {irregular({5, 3}), w, b});
    EXPECT_GRADCHECK(with_bias, {irregular({2, 3, 3}), w, b});
    EXPECT_GRADCHECK(with_bias, {irregular({3}), w, b});
    EXPECT_GRADCHECK(without_bias, {irregular({2, 5, 3}), w});
    EXPECT_GRADGRADCHECK(with_bias, {irregular({2, 3}), w, b});
    EXPECT_GRADGRADCHECK(without_bias, {irregular({2, 2, 3}), w});
}

TEST(Linear, OnlyRequestedGradientsAndFloat32)
{
    // A frozen weight still lets the input's gradient through, and vice versa.
    Tensor x = irregular({3, 2});
    const Tensor w = irregular({4, 2}).detach();
    EXPECT_TENSOR_NEAR(grad({sum(linear(x, w))}, {x})[0], expand(sum(w, {0}, true), {3, 2}), 1e-15, 0.0);
    const Tensor x32 = x.detach().to(float32), w32 = w.to(float32), b32 = tensor({0.5f, -1.0f, 2.0f, 0.0f});
    const Tensor y32 = linear(x32, w32, b32);
    EXPECT_EQ(y32.dtype(), float32);
    EXPECT_TENSOR_NEAR(y32.to(float64), linear(x.detach(), w, b32.to(float64)), 1e-6, 1e-4);
}

TEST(LinearErrors, Messages)
{
    const Tensor w = zeros({5, 20}, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "linear: expected input with last dimension 20 (in_features), got shape (4, 10)",
                         linear(zeros({4, 10}, float64), w));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "linear: expected input with last dimension 20 (in_features), got shape ()",
                         linear(scalar(1.0, float64), w));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "linear: expected a 2-d weight (out_features, in_features), got shape (20,)",
                         linear(zeros({4, 20}, float64), zeros({20}, float64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "linear: expected bias of shape (5,) (out_features), got shape (20,)",
                         linear(zeros({4, 20}, float64), w, zeros({20}, float64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "linear: all inputs must have the same dtype, got float32 and float64; convert one with .to()",
                         linear(zeros({4, 20}), w));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "linear: expected defined input and weight, got an undefined tensor", linear(Tensor(), w));
}
