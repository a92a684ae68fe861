// gradcheck_module and the GoogleTest macros with options: Conv2d / ConvTranspose2d pass with
// respect to their parameters and input; a module whose custom op has a wrong backward fails
// naming the parameter by its dotted name; parameters and buffers come back bit-identical
// (after a pass, a failure and an exception); the macros report failures (gtest-spi).
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <gtest/gtest-spi.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

using namespace adjoint;

namespace
{
    // x * weight through a custom op whose weight gradient is twice what it should be.
    class BrokenScale : public Module
    {
    public:
        BrokenScale() : m_weight(register_parameter("weight", tensor({1.5, -0.5}, float64))) {}
        Tensor forward(const Tensor& x)
        {
            return guarded([&] {
                return custom_op(
                    "broken_scale", {x, m_weight}, [](const tensor_list& in) { return in[0] * in[1]; },
                    [](const custom_op_context& ctx, const Tensor& g) -> tensor_list {
                        return {g * ctx.input(1), 2.0 * g * ctx.input(0)};   // bug: the 2
                    });
            });
        }

    private:
        Tensor m_weight;
    };

    class Model : public Module
    {
    public:
        Model() : scale(register_module("scale", std::make_shared<BrokenScale>())) {}
        Tensor forward(const Tensor& x) { return scale->forward(x); }
        std::shared_ptr<BrokenScale> scale;
    };

    // Counts its forward calls in a buffer, as a training-mode BatchNorm updates its statistics.
    class Counting : public Module
    {
    public:
        Counting()
            : m_weight(register_parameter("weight", tensor({0.5, 2.0}, float64))),
              m_calls(register_buffer("calls", zeros({1}, float64)))
        {
        }
        Tensor forward(const Tensor& x)
        {
            {
                no_grad_guard off;
                m_calls.add_(ones({1}, float64));
            }
            if (m_throw_after >= 0 && m_calls.item() > m_throw_after)
            {
                throw std::runtime_error("forward failed");
            }
            return tanh(x * m_weight);
        }
        double m_throw_after = -1;

    private:
        Tensor m_weight, m_calls;
    };

    std::vector<std::vector<unsigned char>> bytes_of(const tensor_list& tensors)
    {
        std::vector<std::vector<unsigned char>> out;
        for (const auto& t : tensors)
        {
            const auto* p = static_cast<const unsigned char*>(t.data().data_ptr());
            out.emplace_back(p, p + t.numel() * static_cast<std::int64_t>(sizeof(double)));
        }
        return out;
    }

    tensor_list state_of(const Module& m)
    {
        tensor_list all = m.parameters();
        for (const auto& b : m.buffers())
        {
            all.push_back(b);
        }
        return all;
    }
}

TEST(GradcheckModule, Conv2dPassesForParametersAndInput)
{
    manual_seed(0);
    Conv2d conv(Conv2dOptions(2, 3, 3).stride(2).padding(1));
    conv.to(float64);
    Tensor x = randn({1, 2, 5, 4}, float64).requires_grad_();
    EXPECT_MODULE_GRADCHECK(conv, [&](const tensor_list& in) { return conv(in[0]); }, {x});
    // Parameters only: the input does not require grad.
    EXPECT_MODULE_GRADCHECK(conv, [&](const tensor_list& in) { return conv(in[0]); }, {x.detach()});
}

TEST(GradcheckModule, ConvTranspose2dPassesForParametersAndInput)
{
    manual_seed(1);
    ConvTranspose2d up(ConvTranspose2dOptions(2, 2, 3).stride(2).padding(1).output_padding(1).groups(2));
    up.to(float64);
    Tensor x = randn({1, 2, 3, 3}, float64).requires_grad_();
    EXPECT_MODULE_GRADCHECK(up, [&](const tensor_list& in) { return up(in[0]); }, {x});
}

TEST(GradcheckModule, TheModulesOwnHandlesArePerturbed)
{
    // The forward watches the module's weight through the module: it must see it move, since
    // the layer's forward reads exactly that tensor.
    manual_seed(2);
    Conv2d conv(Conv2dOptions(1, 1, 2));
    conv.to(float64);
    const std::vector<double> original = conv.weight().to_vector();
    double largest_change = 0.0;
    Tensor x = randn({1, 1, 3, 3}, float64);
    EXPECT_MODULE_GRADCHECK(conv, [&](const tensor_list& in) {
        const auto now = conv.weight().to_vector();
        for (std::size_t i = 0; i < now.size(); ++i)
        {
            largest_change = std::max(largest_change, std::abs(now[i] - original[i]));
        }
        return conv(in[0]);
    }, {x});
    EXPECT_NEAR(largest_change, 1e-6, 1e-12);   // eps
    EXPECT_EQ(conv.weight().to_vector(), original);
}

TEST(GradcheckModule, WrongBackwardInsideAModuleFailsNamingTheParameter)
{
    Model model;
    Tensor x = tensor({2.0, 3.0}, float64).requires_grad_();
    const auto before = bytes_of(state_of(model));
    const auto r = gradcheck_module(model, [&](const tensor_list& in) { return model.forward(in[0]); }, {x});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "gradcheck_module: parameter scale.weight of shape (2,): Jacobian mismatch beyond atol=1e-05, "
                         "rtol=0.001; worst element d output[1] / d scale.weight[1]: analytical 6, numerical 3");
    EXPECT_EQ(bytes_of(state_of(model)), before);
    EXPECT_NONFATAL_FAILURE(
        EXPECT_MODULE_GRADCHECK(model, [&](const tensor_list& in) { return model.forward(in[0]); }, {x}),
        "gradcheck_module of model failed: gradcheck_module: parameter scale.weight of shape (2,)");
}

TEST(GradcheckModule, ParametersAndBuffersAreRestoredExactly)
{
    Counting m;
    Tensor x = tensor({0.3, -1.1}, float64).requires_grad_();
    const Tensor weight_handle = m.parameters()[0];
    const auto before = bytes_of(state_of(m));
    EXPECT_MODULE_GRADCHECK(m, [&](const tensor_list& in) { return m.forward(in[0]); }, {x});
    EXPECT_EQ(bytes_of(state_of(m)), before);
    EXPECT_TRUE(m.parameters()[0].is_same(weight_handle));

    // Forward throws halfway through the finite differences: still restored.
    m.m_throw_after = 3;
    EXPECT_THROW_MESSAGE(std::runtime_error, "forward failed",
                         gradcheck_module(m, [&](const tensor_list& in) { return m.forward(in[0]); }, {x}));
    EXPECT_EQ(bytes_of(state_of(m)), before);
}

TEST(GradcheckModule, Errors)
{
    Conv2d conv(Conv2dOptions(1, 1, 1));
    Tensor x = ones({1, 1, 2, 2}, float64);
    const tensor_fn fn = [&](const tensor_list& in) { return conv(in[0]); };
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "gradcheck_module: the module's parameters must be float64 (float32 finite differences are "
                         "too coarse to prove anything), got float32 for weight; call module.to(float64) first",
                         gradcheck_module(conv, fn, {x}));
    conv.to(float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "gradcheck_module: inputs that require grad must be float64, got float32 for input 0; use "
                         ".to(float64)",
                         gradcheck_module(conv, fn, {ones({1, 1, 2, 2}).requires_grad_()}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "gradcheck_module: expected a forward function, got an empty one",
                         gradcheck_module(conv, tensor_fn(), {x}));
    Sequential empty;
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "gradcheck_module: expected a parameter or an input that requires grad, got none",
                         gradcheck_module(empty, [](const tensor_list& in) { return in[0]; }, {x}));
}

// x^3 through central differences with a coarse eps: the truncation error is eps^2 = 1e-4,
// within the default tolerances (atol 1e-5 + rtol 1e-3 * 3x^2) but not within atol 1e-6, rtol 0.
// gradgradcheck differentiates the first gradient, so it needs x^4 (error 4x eps^2) to show it.
TEST(GradcheckMacros, TighterOptionsMakeACheckFail)
{
    Tensor x = tensor({1.0, -2.0}, float64).requires_grad_();
    const tensor_fn cube = [](const tensor_list& in) { return in[0] * in[0] * in[0]; };
    gradcheck_options coarse;
    coarse.eps = 1e-2;
    EXPECT_GRADCHECK_WITH(coarse, cube, {x});

    gradcheck_options tight = coarse;
    tight.atol = 1e-6;
    tight.rtol = 0.0;
    EXPECT_NONFATAL_FAILURE(EXPECT_GRADCHECK_WITH(tight, cube, {x}),
                            "gradcheck of cube failed: gradcheck: input 0 of shape (2,): Jacobian mismatch beyond "
                            "atol=1e-06, rtol=0");
    const tensor_fn quartic = [](const tensor_list& in) { return in[0] * in[0] * in[0] * in[0]; };
    EXPECT_GRADGRADCHECK_WITH(coarse, quartic, {x});
    EXPECT_NONFATAL_FAILURE(EXPECT_GRADGRADCHECK_WITH(tight, quartic, {x}),
                            "gradgradcheck of quartic failed: gradgradcheck (checking the first gradient");

    Counting m;
    EXPECT_MODULE_GRADCHECK_WITH(coarse, m, [&](const tensor_list& in) { return m.forward(in[0]); }, {x});
    EXPECT_NONFATAL_FAILURE(
        EXPECT_MODULE_GRADCHECK_WITH(tight, m, [&](const tensor_list& in) { return m.forward(in[0]); }, {x}),
        "gradcheck_module of m failed: gradcheck_module: parameter weight of shape (2,): Jacobian mismatch");
}
