// Activations (autograd/activation.hpp): PyTorch goldens of the forward and input gradient
// (tests/fixtures/generate_activation.py) on random values and on edge values (0, tiny, huge of
// both signs) at 1e-10, float64 gradcheck of each, gradgradcheck of the smooth ones, float32
// against float64, stability of softmax / log_softmax at logits near +-1000, and bad arguments.
#include "golden_helpers.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace adjoint;
using namespace golden;

namespace
{
    struct unary_case
    {
        std::string name;
        std::function<Tensor(const Tensor&)> fn;
    };

    // Every elementwise activation with the fixture name of its PyTorch call.
    std::vector<unary_case> unary_cases()
    {
        return {
            {"relu", [](const Tensor& x) { return relu(x); }},
            {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
            {"tanh", [](const Tensor& x) { return tanh(x); }},
            {"erf", [](const Tensor& x) { return erf(x); }},
            {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
            {"leaky_relu_02", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
            {"elu", [](const Tensor& x) { return elu(x); }},
            {"elu_05", [](const Tensor& x) { return elu(x, 0.5); }},
            {"gelu", [](const Tensor& x) { return gelu(x); }},
            {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }},
            {"silu", [](const Tensor& x) { return silu(x); }},
            {"softplus", [](const Tensor& x) { return softplus(x); }},
            {"softplus_b2_t5", [](const Tensor& x) { return softplus(x, 2.0, 5.0); }},
        };
    }

    tensor_fn on_first(const std::function<Tensor(const Tensor&)>& f)
    {
        return [f](const tensor_list& in) { return f(in[0]); };
    }

    Tensor grad_of(const Tensor& y, const Tensor& x) { return grad({sum(y)}, {x})[0]; }
} // namespace

// ---- PyTorch goldens ----

TEST(ActivationGolden, ElementwiseRandomAndEdgeValues)
{
    for (const auto& c : unary_cases())
    {
        expect_matches_golden("activation", c.name, 1, on_first(c.fn));
        expect_matches_golden("activation", c.name + "_edges", 1, on_first(c.fn));
    }
}

TEST(ActivationGolden, SoftmaxAndLogSoftmaxAlongEachDim)
{
    for (const std::int64_t dim : {0, 1, -1})
    {
        const std::string d = std::to_string(dim);
        expect_matches_golden("activation", "softmax_dim" + d, 1,
                              [dim](const tensor_list& in) { return softmax(in[0], dim); });
        expect_matches_golden("activation", "log_softmax_dim" + d, 1,
                              [dim](const tensor_list& in) { return log_softmax(in[0], dim); });
    }
}

TEST(ActivationGolden, SoftmaxOfLogitsNearPlusMinus1000)
{
    expect_matches_golden("activation", "softmax_large", 1, [](const tensor_list& in) { return softmax(in[0], 1); });
    expect_matches_golden("activation", "log_softmax_large", 1,
                          [](const tensor_list& in) { return log_softmax(in[0], 1); });
}

// ---- values and stability ----

TEST(Activation, LargeLogitsStayFinite)
{
    // A naive exp(1000) is inf (and exp(-1000) of every term is 0, so the sum is 0): both
    // would give NaN. The shifted forms stay finite, with the known exact values.
    Tensor x = tensor({{1000.0, 1000.0, -1000.0}, {-1000.0, -1000.0, -1000.0}}, float64).requires_grad_();
    const Tensor s = softmax(x, 1), ls = log_softmax(x, 1);
    EXPECT_TENSOR_NEAR(s, tensor({{0.5, 0.5, 0.0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}}, float64), 1e-15, 0.0);
    const double l2 = std::log(2.0), l3 = std::log(3.0);
    EXPECT_TENSOR_NEAR(ls, tensor({{-l2, -l2, -2000.0 - l2}, {-l3, -l3, -l3}}, float64), 1e-12, 0.0);
    const tensor_list g = grad({sum(ls * tensor({{1.0, 2.0, 3.0}, {1.0, 0.0, 0.0}}, float64))}, {x});
    for (double v : g[0].to_vector())
    {
        EXPECT_TRUE(std::isfinite(v));
    }
    // float32 overflows exp(89) already; the shift keeps it finite there too.
    const Tensor f = tensor({{1000.0f, -1000.0f, 999.0f}});
    for (double v : softmax(f, 1).to_vector())
    {
        EXPECT_TRUE(std::isfinite(v));
    }
    for (double v : log_softmax(f, 1).to_vector())
    {
        EXPECT_TRUE(std::isfinite(v));
    }
    EXPECT_NEAR(log_softmax(f, 1).to_vector()[1], -2000.0 - std::log1p(std::exp(-1.0)), 1e-3);
}

TEST(Activation, SoftmaxRowsSumToOneAndAcceptZeroD)
{
    const Tensor x = irregular({3, 4, 5}, -3.0, 3.0).detach();
    for (const std::int64_t dim : {0, 1, 2, -1})
    {
        EXPECT_TENSOR_NEAR(sum(softmax(x, dim), {dim}), ones_like(sum(x, {dim})), 1e-15, 0.0) << "dim " << dim;
        EXPECT_TENSOR_NEAR(exp(log_softmax(x, dim)), softmax(x, dim), 1e-15, 1e-14) << "dim " << dim;
    }
    // A 0-d tensor is one element along its only axis (PyTorch gives 1 and 0).
    EXPECT_TENSOR_NEAR(softmax(scalar(3.0, float64), 0), scalar(1.0, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(log_softmax(scalar(3.0, float64), -1), scalar(0.0, float64), 0.0, 0.0);
}

TEST(Activation, GradientsAtTheKinks)
{
    // PyTorch's choices at 0: leaky_relu takes the slope, elu takes alpha, softplus at its
    // threshold is still the smooth branch (the cut-off is strict: beta x > threshold).
    Tensor x = tensor({0.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(grad_of(leaky_relu(x, 0.2), x), tensor({0.2}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(elu(x, 0.5), x), tensor({0.5}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(gelu(x), x), tensor({0.5}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(silu(x), x), tensor({0.5}, float64), 0.0, 0.0);
    Tensor t = tensor({5.0, 5.0000001}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(softplus(t, 1.0, 5.0), tensor({std::log1p(std::exp(5.0)), 5.0000001}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(grad_of(softplus(t, 1.0, 5.0), t), tensor({1.0 / (1.0 + std::exp(-5.0)), 1.0}, float64), 0.0,
                       1e-15);
}

TEST(Activation, Float32MatchesFloat64)
{
    const Tensor x64 = irregular({4, 6}, -4.0, 4.0).detach();
    const Tensor x = x64.to(float32);
    for (const auto& c : unary_cases())
    {
        const Tensor y = c.fn(x);
        EXPECT_EQ(y.dtype(), float32) << c.name;
        EXPECT_TENSOR_NEAR(y.to(float64), c.fn(x64), 1e-5, 1e-4) << c.name;
    }
    EXPECT_TENSOR_NEAR(softmax(x, 1).to(float64), softmax(x64, 1), 1e-6, 1e-4);
    EXPECT_TENSOR_NEAR(log_softmax(x, 0).to(float64), log_softmax(x64, 0), 1e-5, 1e-4);
    // And the gradients, through the same backward formulas in float32.
    Tensor xf = x.detach().requires_grad_();
    Tensor xd = x64.detach().requires_grad_();
    EXPECT_TENSOR_NEAR(grad_of(gelu(xf) * softmax(xf, 1), xf).to(float64), grad_of(gelu(xd) * softmax(xd, 1), xd),
                       1e-5, 1e-4);
}

TEST(Activation, BackwardDoesNotKeepTheOutputAlive)
{
    const auto before = Node::live_count();
    {
        Tensor x = tensor({-0.5, 1.5}, float64).requires_grad_();
        Tensor y = sum(elu(x) + softmax(x, 0) + log_softmax(x, 0) + gelu(x) + silu(x) + softplus(x));
        grad({y}, {x}, {}, /*retain_graph=*/true);
    }
    EXPECT_EQ(Node::live_count(), before);
}

// ---- gradcheck ----

TEST(ActivationGradcheck, EveryOp)
{
    // Values in [-3, 3] straddle every kink without landing on one.
    const Tensor x = irregular({3, 4}, -3.0, 3.0);
    for (const auto& c : unary_cases())
    {
        SCOPED_TRACE(c.name);
        EXPECT_GRADCHECK(on_first(c.fn), {x});
    }
    const Tensor x3 = irregular({2, 3, 4}, -3.0, 3.0);
    for (const std::int64_t dim : {0, 1, -1})
    {
        SCOPED_TRACE("dim " + std::to_string(dim));
        EXPECT_GRADCHECK([dim](const tensor_list& in) { return softmax(in[0], dim); }, {x3});
        EXPECT_GRADCHECK([dim](const tensor_list& in) { return log_softmax(in[0], dim); }, {x3});
    }
}

TEST(ActivationGradgradcheck, SmoothOnes)
{
    const Tensor x = irregular({2, 3}, -3.0, 3.0);
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return softmax(in[0], 1); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return softmax(in[0], 0); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return log_softmax(in[0], 1); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return log_softmax(in[0], 0); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return gelu(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return gelu(in[0], "tanh"); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return elu(in[0], 0.7); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return softplus(in[0], 2.0, 4.0); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return silu(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return erf(in[0]); }, {x});
    // Third order through softmax: its backward recomputes softmax, which records again.
    Tensor v = irregular({4}, -1.0, 1.0);
    const Tensor g1 = grad({sum(softmax(v, 0) * tensor({1.0, 2.0, 3.0, 4.0}, float64))}, {v}, {}, false, true)[0];
    const Tensor g2 = grad({sum(g1 * g1)}, {v}, {}, false, true)[0];
    EXPECT_TRUE(g2.requires_grad());
}

// ---- bad arguments ----

TEST(ActivationErrors, Messages)
{
    const Tensor x = zeros({2, 3}, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "gelu: approximate must be \"none\" or \"tanh\", got \"fast\"",
                         gelu(x, "fast"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "softmax: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         softmax(x, 2));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "log_softmax: axis must be in [-2, 1] for a tensor of 2 dimensions, got -3",
                         log_softmax(x, -3));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "softplus: beta must be non-zero, got 0", softplus(x, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "elu: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         elu(zeros({2}, int64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "softmax: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         softmax(zeros({2}, int64), 0));
}
