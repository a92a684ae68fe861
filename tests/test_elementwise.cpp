// Elementwise ops: hand-worked values and edge cases, float64 gradcheck of every op (with
// broadcasting), gradgradcheck of a subset, PyTorch goldens (tests/fixtures/generate_ops.py)
// at 1e-10, and the bad-argument messages.
#include "golden_helpers.hpp"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

using namespace adjoint;
using namespace golden;

namespace
{
    const double inf = std::numeric_limits<double>::infinity();

    Tensor grad_of(const Tensor& y, const Tensor& x) { return grad({sum(y)}, {x})[0]; }
} // namespace

// ---- hand-worked values ----

TEST(Elementwise, UnaryValues)
{
    const Tensor x = tensor({-2.0, -0.5, 0.0, 1.0, 4.0}, float64);
    EXPECT_TENSOR_NEAR(abs(x), tensor({2.0, 0.5, 0.0, 1.0, 4.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(relu(x), tensor({0.0, 0.0, 0.0, 1.0, 4.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(clamp(x, -1.0, 1.0), tensor({-1.0, -0.5, 0.0, 1.0, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(clamp(x, 0.5), tensor({0.5, 0.5, 0.5, 1.0, 4.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(clamp(x, -inf, 0.0), tensor({-2.0, -0.5, 0.0, 0.0, 0.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(exp(x), tensor({std::exp(-2.0), std::exp(-0.5), 1.0, std::exp(1.0), std::exp(4.0)}, float64),
                       0.0, 1e-15);
    EXPECT_TENSOR_NEAR(
        tanh(x), tensor({std::tanh(-2.0), std::tanh(-0.5), 0.0, std::tanh(1.0), std::tanh(4.0)}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(sigmoid(x),
                       tensor({1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5, 1 / (1 + std::exp(-1.0)),
                               1 / (1 + std::exp(-4.0))},
                              float64),
                       0.0, 1e-15);
    const Tensor p = tensor({0.25, 1.0, 4.0}, float64);
    EXPECT_TENSOR_NEAR(sqrt(p), tensor({0.5, 1.0, 2.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(log(p), tensor({std::log(0.25), 0.0, std::log(4.0)}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(pow(p, 1.5), tensor({0.125, 1.0, 8.0}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(pow(p, tensor({2.0, 3.0, -0.5}, float64)), tensor({0.0625, 1.0, 0.5}, float64), 0.0, 1e-15);
}

TEST(Elementwise, HandWorkedGradients)
{
    Tensor x = tensor({-2.0, 0.0, 3.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(grad_of(x * x * x, x), tensor({12.0, 0.0, 27.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(pow(x, 3.0), x), tensor({12.0, 0.0, 27.0}, float64), 0.0, 1e-15);
    // abs and relu are not differentiable at 0; PyTorch's choice is 0 there.
    EXPECT_TENSOR_NEAR(grad_of(abs(x), x), tensor({-1.0, 0.0, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(relu(x), x), tensor({0.0, 0.0, 1.0}, float64), 0.0, 0.0);
    // clamp passes the gradient on its closed interval, boundaries included.
    EXPECT_TENSOR_NEAR(grad_of(clamp(x, 0.0, 3.0), x), tensor({0.0, 1.0, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(tanh(x), x), 1.0 - tanh(x) * tanh(x), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(grad_of(sigmoid(x), x), sigmoid(x) * (1.0 - sigmoid(x)), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(grad_of(exp(x), x), exp(x), 0.0, 0.0);

    Tensor p = tensor({0.25, 4.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(grad_of(sqrt(p), p), tensor({1.0, 0.25}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(grad_of(log(p), p), tensor({4.0, 0.25}, float64), 0.0, 1e-15);
}

TEST(Elementwise, PowEdgeCasesAtZero)
{
    // d/dx x^0 = 0 even at x = 0, where e * x^(e-1) would be 0 * inf.
    Tensor x = tensor({0.0, 2.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(grad_of(pow(x, 0.0), x), tensor({0.0, 0.0}, float64), 0.0, 0.0);
    Tensor e = tensor({0.0, 0.0}, float64).requires_grad_();
    auto g = grad({sum(pow(x, e))}, {x, e});
    EXPECT_TENSOR_NEAR(g[0], tensor({0.0, 0.0}, float64), 0.0, 0.0);
    // d/de x^e = x^e log x, taken as 0 at x = 0 for e >= 0 (PyTorch's convention).
    EXPECT_TENSOR_NEAR(g[1], tensor({0.0, std::log(2.0)}, float64), 0.0, 1e-15);
    Tensor e2 = tensor({2.0, 2.0}, float64).requires_grad_();
    g = grad({sum(pow(x, e2))}, {x, e2});
    EXPECT_TENSOR_NEAR(g[0], tensor({0.0, 4.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(g[1], tensor({0.0, 4.0 * std::log(2.0)}, float64), 0.0, 1e-15);
}

TEST(Elementwise, SigmoidSaturatesWithoutNaN)
{
    Tensor x = tensor({-1000.0, 1000.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(sigmoid(x), tensor({0.0, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(grad_of(sigmoid(x), x), tensor({0.0, 0.0}, float64), 0.0, 0.0);
    Tensor f = tensor({-200.0f, 200.0f}).requires_grad_();
    EXPECT_TENSOR_NEAR(sigmoid(f), tensor({0.0f, 1.0f}), 0.0, 0.0);
}

TEST(Elementwise, MaximumMinimumSplitTiesEvenly)
{
    Tensor a = tensor({1.0, 2.0, 3.0}, float64).requires_grad_();
    Tensor b = tensor({3.0, 2.0, 1.0}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(maximum(a, b), tensor({3.0, 2.0, 3.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(minimum(a, b), tensor({1.0, 2.0, 1.0}, float64), 0.0, 0.0);
    auto g = grad({sum(maximum(a, b))}, {a, b});
    EXPECT_TENSOR_NEAR(g[0], tensor({0.0, 0.5, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(g[1], tensor({1.0, 0.5, 0.0}, float64), 0.0, 0.0);
    g = grad({sum(minimum(a, b))}, {a, b});
    EXPECT_TENSOR_NEAR(g[0], tensor({1.0, 0.5, 0.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(g[1], tensor({0.0, 0.5, 1.0}, float64), 0.0, 0.0);
    // Broadcast: a scalar against a vector collects the gradient of every position it wins.
    Tensor s = scalar(2.0, float64).requires_grad_();
    g = grad({sum(maximum(a, s))}, {a, s});
    EXPECT_TENSOR_NEAR(g[0], tensor({0.0, 0.5, 1.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(g[1], scalar(1.5, float64), 0.0, 0.0);
}

TEST(Elementwise, ComparisonsGiveMasksOffTheGraph)
{
    Tensor a = tensor({{1.0, 2.0, 3.0}, {3.0, 2.0, 1.0}}, float64).requires_grad_();
    Tensor b = tensor({2.0, 2.0, 2.0}, float64);
    EXPECT_TENSOR_NEAR(a == b, tensor({{0.0, 1.0, 0.0}, {0.0, 1.0, 0.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a != b, tensor({{1.0, 0.0, 1.0}, {1.0, 0.0, 1.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a < b, tensor({{1.0, 0.0, 0.0}, {0.0, 0.0, 1.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a <= b, tensor({{1.0, 1.0, 0.0}, {0.0, 1.0, 1.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a > b, tensor({{0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a >= b, tensor({{0.0, 1.0, 1.0}, {1.0, 1.0, 0.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(eq(a, b), a == b, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(ne(a, b), a != b, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(lt(a, b), a < b, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(le(a, b), a <= b, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(gt(a, b), a > b, 0.0, 0.0);
    EXPECT_TENSOR_NEAR(ge(a, b), a >= b, 0.0, 0.0);
    const Tensor m = a > b;
    EXPECT_FALSE(m.requires_grad());
    EXPECT_EQ(m.dtype(), float64);
    EXPECT_EQ((tensor({1.0f}) < tensor({2.0f})).dtype(), float32);
}

TEST(Elementwise, ScalarOperandsTakeTheFlatPath)
{
    // Tensor-scalar and scalar-tensor arithmetic, including a 0-d operand that broadcasts to
    // a higher rank than the other operand.
    const Tensor x = tensor({1.0, 2.0, 4.0}, float64);
    EXPECT_TENSOR_NEAR(x / 2.0, tensor({0.5, 1.0, 2.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(2.0 / x, tensor({2.0, 1.0, 0.5}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(1.0 - x, tensor({0.0, -1.0, -3.0}, float64), 0.0, 0.0);
    const Tensor y = x - full({1, 1}, 1.0, float64);
    EXPECT_TENSOR_SHAPE(y, {1, 3});
    EXPECT_TENSOR_NEAR(y, tensor({{0.0, 1.0, 3.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(full({1, 1}, 1.0, float64) - x, tensor({{0.0, -1.0, -3.0}}, float64), 0.0, 0.0);
}

TEST(Elementwise, BroadcastLayoutsMatchExplicitExpansion)
{
    // The kernel plans broadcasting as rows (long rows of a stepping and a repeated operand,
    // short rows through xtensor); each layout must equal expanding both operands first.
    const std::vector<std::pair<shape_t, shape_t>> layouts = {
        {{3, 1, 20}, {1, 4, 20}},  // rows of 20, outer dims stepping differently
        {{1, 40}, {30, 1}},        // outer product: a steps along the row, b repeats
        {{30, 1}, {1, 40}},        // the other way round
        {{2, 3, 17}, {3, 1}},      // b repeats along rows of 17
        {{2, 1, 3, 1}, {4, 1, 5}}, // short rows
        {{5, 1, 1}, {}},           // a scalar operand
        {{4, 20}, {1, 1, 1, 20}},  // extra leading size-1 dims on one side
    };
    for (const auto& [sa, sb] : layouts)
    {
        const Tensor a = irregular(sa, 0.5, 2.0).detach(), b = irregular(sb, 0.3, 1.7).detach();
        const shape_t out = broadcast_shapes(sa, sb, "test");
        const Tensor ea = expand(a, out).detach(), eb = expand(b, out).detach();
        const auto where = shape_str(sa) + " with " + shape_str(sb);
        EXPECT_TENSOR_NEAR(a + b, ea + eb, 0.0, 0.0) << where;
        EXPECT_TENSOR_NEAR(a - b, ea - eb, 0.0, 0.0) << where;
        EXPECT_TENSOR_NEAR(b / a, eb / ea, 0.0, 0.0) << where;
        EXPECT_TENSOR_NEAR(pow(a, b), pow(ea, eb), 0.0, 0.0) << where;
        EXPECT_TENSOR_NEAR(maximum(a, b), maximum(ea, eb), 0.0, 0.0) << where;
        EXPECT_TENSOR_NEAR(a < b, ea < eb, 0.0, 0.0) << where;
    }
    EXPECT_TENSOR_SHAPE(zeros({0, 3}) * zeros({3}), {0, 3});
}

TEST(Elementwise, Float32MatchesFloat64)
{
    const Tensor x64 = irregular({4, 5}, 0.1, 2.0).detach();
    const Tensor x = x64.to(float32);
    EXPECT_EQ(exp(x).dtype(), float32);
    EXPECT_TENSOR_NEAR(exp(x).to(float64), exp(x64), 1e-6, 1e-6);
    EXPECT_TENSOR_NEAR(log(x).to(float64), log(x64), 1e-6, 1e-6);
    EXPECT_TENSOR_NEAR(pow(x, 1.7).to(float64), pow(x64, 1.7), 1e-6, 1e-6);
    EXPECT_TENSOR_NEAR(sigmoid(x).to(float64), sigmoid(x64), 1e-6, 1e-6);
    EXPECT_TENSOR_NEAR(clamp(x, 0.5, 1.5).to(float64), clamp(x64, 0.5, 1.5), 1e-6, 1e-6);
}

TEST(Elementwise, BackwardDoesNotKeepTheOutputAlive)
{
    // Ops whose derivative uses their output must not capture the output Tensor: a cycle would
    // keep every node alive after the tensors are gone.
    const auto before = Node::live_count();
    {
        Tensor x = tensor({0.5, 1.5}, float64).requires_grad_();
        Tensor y = sum(exp(x) + sqrt(x) + sigmoid(x) + tanh(x) + pow(x, 2.0));
        EXPECT_GT(Node::live_count(), before);
        grad({y}, {x}, {}, /*retain_graph=*/true);
    }
    EXPECT_EQ(Node::live_count(), before);
}

TEST(Elementwise, ReluKeepsNanAndRunsOverLongTensors)
{
    // As PyTorch: relu(NaN) is NaN, relu(-inf) is 0. The long tensor spans several chunks of
    // the threaded loop, so every chunk boundary is checked too.
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (dtype dt : {float32, float64})
    {
        const std::vector<double> y = relu(tensor({nan, -inf, -2.0, 0.0, 0.25, inf}, dt)).to_vector();
        EXPECT_TRUE(std::isnan(y[0])) << dtype_name(dt);
        EXPECT_EQ(std::vector<double>(y.begin() + 1, y.end()), (std::vector<double>{0.0, 0.0, 0.0, 0.25, inf}));
        std::vector<double> values(200001), expected(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
        {
            values[i] = (i % 7 < 3 ? -1.0 : 1.0) * static_cast<double>(i % 101);
            expected[i] = std::max(values[i], 0.0);
        }
        EXPECT_EQ(relu(from_vector(values, {static_cast<std::int64_t>(values.size())}, dt)).to_vector(), expected)
            << dtype_name(dt);
    }
}

TEST(Elementwise, ReluLetsItsInputGo)
{
    // relu's mask comes from its output, so a pre-activation nothing else needs is freed while
    // the graph lives (a conv keeps the activation it reads, not the one before the relu).
    Tensor w = tensor({-1.0, 2.0, 3.0}, float64).requires_grad_();
    std::weak_ptr<detail::tensor_impl> pre_activation;
    Tensor y;
    {
        Tensor pre = w * 2.0;
        pre_activation = pre.impl();
        y = relu(pre);
    }
    EXPECT_TRUE(pre_activation.expired());
    sum(y).backward();
    EXPECT_TENSOR_NEAR(w.grad(), tensor({0.0, 2.0, 2.0}, float64), 0.0, 0.0);
}

// ---- gradcheck ----

TEST(ElementwiseGradcheck, Arithmetic)
{
    Tensor a = irregular({2, 3, 1});
    Tensor b = irregular({4}, 0.5, 2.0);
    Tensor c = irregular({3, 4}, 0.5, 2.0);
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] + in[1]; }, {a, b});
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] - in[1]; }, {a, b});
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] * in[1]; }, {a, c});
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] / in[1]; }, {a, c});
    EXPECT_GRADCHECK([](const tensor_list& in) { return -in[0] + 2.0 * in[0] - 3.0 / in[1] + in[1] / 4.0; }, {a, c});
}

TEST(ElementwiseGradcheck, Unary)
{
    Tensor x = irregular({3, 4});
    Tensor p = irregular({3, 4}, 0.2, 2.0);
    EXPECT_GRADCHECK([](const tensor_list& in) { return exp(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return log(in[0]); }, {p});
    EXPECT_GRADCHECK([](const tensor_list& in) { return sqrt(in[0]); }, {p});
    EXPECT_GRADCHECK([](const tensor_list& in) { return abs(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return clamp(in[0], -0.45, 0.55); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return clamp(in[0], 0.05); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return relu(in[0]); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return sigmoid(in[0] * 3.0); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return tanh(in[0] * 2.0); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return -in[0]; }, {x});
}

TEST(ElementwiseGradcheck, Pow)
{
    Tensor x = irregular({3, 4});
    Tensor p = irregular({3, 4}, 0.2, 2.0);
    Tensor e = irregular({4}, -1.5, 2.5);
    EXPECT_GRADCHECK([](const tensor_list& in) { return pow(in[0], 3.0); }, {x});
    EXPECT_GRADCHECK([](const tensor_list& in) { return pow(in[0], 2.5); }, {p});
    EXPECT_GRADCHECK([](const tensor_list& in) { return pow(in[0], -0.7); }, {p});
    EXPECT_GRADCHECK([](const tensor_list& in) { return pow(in[0], in[1]); }, {p, e});
}

TEST(ElementwiseGradcheck, MaximumMinimum)
{
    Tensor a = irregular({2, 3});
    Tensor b = irregular({3}, -0.9, 0.8);
    EXPECT_GRADCHECK([](const tensor_list& in) { return maximum(in[0], in[1]); }, {a, b});
    EXPECT_GRADCHECK([](const tensor_list& in) { return minimum(in[0], in[1]); }, {a, b});
}

TEST(ElementwiseGradgradcheck, Subset)
{
    Tensor x = irregular({2, 3});
    Tensor p = irregular({2, 3}, 0.3, 2.0);
    Tensor q = irregular({3}, 0.5, 1.5);
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return in[0] * in[1]; }, {x, q});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return in[0] / in[1]; }, {x, q});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return exp(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return log(in[0]); }, {p});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return sqrt(in[0]); }, {p});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return tanh(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return sigmoid(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return pow(in[0], 2.5); }, {p});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return pow(in[0], in[1]); }, {p, q});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return maximum(in[0], in[1]) * in[0]; }, {x, q});
}

// ---- PyTorch goldens ----

TEST(ElementwiseGolden, Arithmetic)
{
    expect_matches_golden("ops", "add_bcast", 2, [](const tensor_list& in) { return in[0] + in[1]; });
    expect_matches_golden("ops", "sub_bcast", 2, [](const tensor_list& in) { return in[0] - in[1]; });
    expect_matches_golden("ops", "mul_bcast", 2, [](const tensor_list& in) { return in[0] * in[1]; });
    expect_matches_golden("ops", "div_bcast", 2, [](const tensor_list& in) { return in[0] / in[1]; });
}

TEST(ElementwiseGolden, Pow)
{
    expect_matches_golden("ops", "pow_scalar", 1, [](const tensor_list& in) { return pow(in[0], 2.5); });
    expect_matches_golden("ops", "pow_scalar_negative", 1, [](const tensor_list& in) { return pow(in[0], -1.5); });
    expect_matches_golden("ops", "pow_cube", 1, [](const tensor_list& in) { return pow(in[0], 3.0); });
    expect_matches_golden("ops", "pow_tensor", 2, [](const tensor_list& in) { return pow(in[0], in[1]); });
}

TEST(ElementwiseGolden, Unary)
{
    expect_matches_golden("ops", "exp", 1, [](const tensor_list& in) { return exp(in[0]); });
    expect_matches_golden("ops", "log", 1, [](const tensor_list& in) { return log(in[0]); });
    expect_matches_golden("ops", "sqrt", 1, [](const tensor_list& in) { return sqrt(in[0]); });
    expect_matches_golden("ops", "abs", 1, [](const tensor_list& in) { return abs(in[0]); });
    expect_matches_golden("ops", "clamp", 1, [](const tensor_list& in) { return clamp(in[0], -0.5, 0.7); });
    expect_matches_golden("ops", "clamp_bounds", 1, [](const tensor_list& in) { return clamp(in[0], -0.5, 0.7); });
    expect_matches_golden("ops", "clamp_min", 1, [](const tensor_list& in) { return clamp(in[0], 0.1); });
    expect_matches_golden("ops", "relu", 1, [](const tensor_list& in) { return relu(in[0]); });
    expect_matches_golden("ops", "sigmoid", 1, [](const tensor_list& in) { return sigmoid(in[0]); });
    expect_matches_golden("ops", "tanh", 1, [](const tensor_list& in) { return tanh(in[0]); });
    expect_matches_golden("ops", "neg", 1, [](const tensor_list& in) { return -in[0]; });
    expect_matches_golden("ops", "scalar_operands", 1,
                          [](const tensor_list& in) { return 3.0 / in[0] + in[0] * 2.0 - 1.0; });
}

TEST(ElementwiseGolden, MaximumMinimumWithTies)
{
    expect_matches_golden("ops", "maximum", 2, [](const tensor_list& in) { return maximum(in[0], in[1]); });
    expect_matches_golden("ops", "minimum", 2, [](const tensor_list& in) { return minimum(in[0], in[1]); });
}

TEST(ElementwiseGolden, Comparisons)
{
    expect_forward_matches_golden("ops", "cmp_eq", 2, [](const tensor_list& in) { return eq(in[0], in[1]); });
    expect_forward_matches_golden("ops", "cmp_ne", 2, [](const tensor_list& in) { return ne(in[0], in[1]); });
    expect_forward_matches_golden("ops", "cmp_lt", 2, [](const tensor_list& in) { return lt(in[0], in[1]); });
    expect_forward_matches_golden("ops", "cmp_le", 2, [](const tensor_list& in) { return le(in[0], in[1]); });
    expect_forward_matches_golden("ops", "cmp_gt", 2, [](const tensor_list& in) { return gt(in[0], in[1]); });
    expect_forward_matches_golden("ops", "cmp_ge", 2, [](const tensor_list& in) { return ge(in[0], in[1]); });
}

// ---- bad arguments ----

TEST(ElementwiseErrors, IncompatibleBroadcastShapes)
{
    const Tensor a = zeros({2, 3}, float64), b = zeros({4}, float64);
    const std::string shapes = " shapes must be broadcastable (each dimension equal or 1, aligned from the right), "
                               "got (2, 3) and (4,) (dimension 1: 3 vs 4)";
    EXPECT_THROW_MESSAGE(std::invalid_argument, "add:" + shapes, a + b);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "mul:" + shapes, a * b);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "pow:" + shapes, pow(a, b));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "maximum:" + shapes, maximum(a, b));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "minimum:" + shapes, minimum(a, b));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "lt:" + shapes, a < b);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "eq:" + shapes, eq(a, b));
}

TEST(ElementwiseErrors, MixedDtypes)
{
    const Tensor a = zeros({2}, float64), b = zeros({2}, float32);
    const std::string dtypes = " all inputs must have the same dtype, got float64 and float32; convert one with .to()";
    EXPECT_THROW_MESSAGE(std::invalid_argument, "div:" + dtypes, a / b);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "pow:" + dtypes, pow(a, b));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "maximum:" + dtypes, maximum(a, b));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "ge:" + dtypes, a >= b);
}

TEST(ElementwiseErrors, ClampBoundsOutOfOrder)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "clamp: min must be <= max, got min=1, max=-1",
                         clamp(zeros({2}), 1.0, -1.0));
}

TEST(ElementwiseErrors, SumToUnreachableShape)
{
    const Tensor x = ones({2, 3}, float64);
    EXPECT_TENSOR_NEAR(sum_to(x, {3}), tensor({2.0, 2.0, 2.0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(sum_to(x, {2, 1}), full({2, 1}, 3.0, float64), 0.0, 0.0);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "sum_to: target shape must broadcast to the input's shape (2, 3), got (4,)", sum_to(x, {4}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "sum_to: target shape must broadcast to the input's shape (2, 3), got (1, 2, 3)",
                         sum_to(x, {1, 2, 3}));
}
