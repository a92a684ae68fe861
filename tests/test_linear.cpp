// linear (autograd/linear.hpp): PyTorch goldens (tests/fixtures/generate_activation.py) of the
// output and the gradients of input, weight and bias at 1e-10 for 1-d, 2-d and batched inputs
// with and without bias; gradcheck and gradgradcheck; float32 against float64; bad shapes.
// The Linear layer (layers/linear.hpp): forward, parameters, printing, init statistics, clone.
#include "golden_helpers.hpp"

#include <cmath>

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

// ---- the Linear layer ----

TEST(LinearLayer, ForwardParametersAndPrinting)
{
    Linear layer(LinearOptions(20, 5));
    EXPECT_TENSOR_SHAPE(layer.weight(), {5, 20});
    EXPECT_TENSOR_SHAPE(layer.bias(), {5});
    EXPECT_TRUE(layer.weight().requires_grad());
    const Tensor x = irregular({4, 20}).detach().to(float32);
    EXPECT_TENSOR_NEAR(layer(x), linear(x, layer.weight(), layer.bias()), 0.0, 0.0);
    const auto names = layer.named_parameters();
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0].first, "weight");
    EXPECT_EQ(names[1].first, "bias");
    EXPECT_EQ(to_string(layer), "Linear(in_features=20, out_features=5, bias=True)");

    Linear no_bias(LinearOptions(3, 2).bias(false));
    EXPECT_FALSE(no_bias.bias().defined());
    EXPECT_EQ(no_bias.named_parameters().size(), 1u);
    EXPECT_EQ(to_string(no_bias), "Linear(in_features=3, out_features=2, bias=False)");
    EXPECT_TENSOR_NEAR(no_bias(ones({3})), sum(no_bias.weight(), {1}), 0.0, 1e-6);

    // Gradients reach both parameters.
    sum(layer(x)).backward();
    EXPECT_TENSOR_NEAR(layer.bias().grad(), full({5}, 4.0), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(layer.weight().grad(), expand(sum(x, {0}, true), {5, 20}), 1e-6, 1e-6);

    // A wrong input names the layer inside a model.
    Sequential net(std::make_shared<Linear>(LinearOptions(20, 5)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "0 (Linear): linear: expected input with last dimension 20 (in_features), got shape (4, 10)",
                         net(zeros({4, 10})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Linear: in_features and out_features must be non-negative, got in_features=-1, out_features=5",
                         Linear(LinearOptions(-1, 5)));
}

// torch.nn.Linear's init: weight uniform in +-1/sqrt(in_features) (kaiming_uniform_ with
// a = sqrt(5)) and bias in the same bound. Uniform on +-b has standard deviation b/sqrt(3); with
// 500,000 weights and 10,000 biases a wrong fan (out_features: a bound 14x smaller) or a
// normal draw fails the max or the spread.
TEST(LinearLayer, DefaultInitMatchesPyTorchBounds)
{
    manual_seed(99);
    Linear layer(LinearOptions(50, 10000));
    const double bound = 1.0 / std::sqrt(50.0);
    for (const Tensor& t : {layer.weight(), layer.bias()})
    {
        const Tensor v = t.detach().to(float64);
        const double max_abs = max(abs(v)).item();
        const double spread = std::sqrt(mean(v * v).item());
        EXPECT_LE(max_abs, bound);
        EXPECT_GT(max_abs, 0.99 * bound);
        EXPECT_NEAR(spread / (bound / std::sqrt(3.0)), 1.0, t.numel() > 100000 ? 0.01 : 0.04);
        EXPECT_NEAR(mean(v).item(), 0.0, 5.0 * bound / std::sqrt(3.0 * static_cast<double>(t.numel())));
    }
    // Zero input features: no weights to draw, and the bias bound is 0 (PyTorch's rule).
    Linear empty(LinearOptions(0, 3));
    EXPECT_TENSOR_NEAR(empty.bias(), zeros({3}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(empty(zeros({2, 0})), expand(reshape(empty.bias(), {1, 3}), {2, 3}), 0.0, 0.0);
}

TEST(LinearLayer, CloneIsDeep)
{
    manual_seed(1);
    Linear a(LinearOptions(4, 3));
    a.eval();
    auto b = std::static_pointer_cast<Linear>(a.clone());
    EXPECT_FALSE(b->is_training());
    EXPECT_EQ(b->options().in_features(), 4);
    EXPECT_TENSOR_NEAR(b->weight(), a.weight(), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(b->bias(), a.bias(), 0.0, 0.0);
    EXPECT_FALSE(b->weight().is_same(a.weight()));
    const Tensor before = b->weight().detach().to(float64);
    {
        no_grad_guard off;
        a.weight().fill_(7.0);
        a.bias().zero_();
    }
    EXPECT_TENSOR_NEAR(b->weight().to(float64), before, 0.0, 0.0);
    EXPECT_GT(max(abs(b->bias())).item(), 0.0);
    EXPECT_TRUE(b->weight().requires_grad());
}
