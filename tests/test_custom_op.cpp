// custom_op: user ops with a hand-written backward — gradcheck / gradgradcheck of correct
// ones, a wrong backward caught by gradcheck, the graph and grad-mode rules, the in-place
// check of saved tensors, and every error verbatim.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <gtest/gtest-spi.h>

using namespace adjoint;

namespace
{
    // x^3, backward 3 x^2 g, written with differentiable ops (double backward works).
    Tensor cube(const Tensor& x, double backward_factor = 3.0)
    {
        return custom_op(
            "cube", {x}, [](const tensor_list& in) { return in[0] * in[0] * in[0]; },
            [backward_factor](const custom_op_context& ctx, const Tensor& g) -> tensor_list {
                const Tensor& x = ctx.input(0);
                return {backward_factor * g * x * x};
            });
    }

    // softclip(x) = x / (1 + |x|), whose derivative 1 / (1 + |x|)^2 = (1 - |y|)^2 is written from
    // the saved output only (the input is not saved).
    Tensor softclip(const Tensor& x)
    {
        return custom_op(
            "softclip", {x}, [](const tensor_list& in) { return in[0] / (1.0 + abs(in[0])); },
            [](const custom_op_context& ctx, const Tensor& g) -> tensor_list {
                const Tensor one_minus = 1.0 - abs(ctx.output());
                return {g * one_minus * one_minus};
            },
            custom_op_options().save_no_inputs().save_output());
    }

    // a * b with broadcasting; computes only the gradients asked for.
    Tensor scaled_product(const Tensor& a, const Tensor& b)
    {
        return custom_op(
            "scaled_product", {a, b}, [](const tensor_list& in) { return 2.0 * in[0] * in[1]; },
            [](const custom_op_context& ctx, const Tensor& g) -> tensor_list {
                tensor_list grads(2);
                if (ctx.needs_input_grad(0))
                {
                    grads[0] = sum_to(2.0 * g * ctx.input(1), ctx.input_shape(0));
                }
                if (ctx.needs_input_grad(1))
                {
                    grads[1] = sum_to(2.0 * g * ctx.input(0), ctx.input_shape(1));
                }
                return grads;
            });
    }
}

TEST(CustomOp, CubePassesGradcheckAndGradgradcheck)
{
    manual_seed(0);
    Tensor x = randn({3, 2}, float64).requires_grad_();
    EXPECT_GRADCHECK([](const tensor_list& in) { return cube(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return cube(in[0]); }, {x});
    EXPECT_TENSOR_NEAR(cube(x), x * x * x, 0.0, 0.0);
}

TEST(CustomOp, SoftclipFromTheSavedOutputPassesGradcheckAndGradgradcheck)
{
    manual_seed(1);
    Tensor x = (randn({5}, float64) * 2.0).requires_grad_();
    EXPECT_GRADCHECK([](const tensor_list& in) { return softclip(in[0]); }, {x});
    // The output handed to the backward leads back to the op under create_graph, so the
    // second derivative (through |y|) is right too.
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return softclip(in[0]); }, {x});
}

TEST(CustomOp, TwoInputsWithBroadcastingAndOnlyTheNeededGradient)
{
    manual_seed(2);
    Tensor a = randn({2, 3}, float64).requires_grad_();
    Tensor b = randn({3}, float64).requires_grad_();
    EXPECT_GRADCHECK([](const tensor_list& in) { return scaled_product(in[0], in[1]); }, {a, b});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return scaled_product(in[0], in[1]); }, {a, b});

    Tensor c = randn({3}, float64);   // no gradient wanted: the backward is not asked for it
    sum(scaled_product(a, c)).backward();
    EXPECT_TENSOR_NEAR(a.grad(), 2.0 * (c * ones({2, 3}, float64)), 1e-15, 0.0);
}

TEST(CustomOp, WrongBackwardFailsGradcheckNamingTheInput)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    const auto r = gradcheck([](const tensor_list& in) { return cube(in[0], 2.0); }, {x});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "gradcheck: input 0 of shape (2,): Jacobian mismatch beyond atol=1e-05, rtol=0.001; worst "
                         "element d output[1] / d input0[1]: analytical 8, numerical 12");
    EXPECT_NONFATAL_FAILURE(EXPECT_GRADCHECK([](const tensor_list& in) { return cube(in[0], 2.0); }, {x}),
                            "analytical 8, numerical 12");
}

TEST(CustomOp, NameInGradFnAndPrinting)
{
    Tensor x = tensor({2.0}, float64).requires_grad_();
    Tensor y = cube(x);
    ASSERT_TRUE(y.grad_fn());
    EXPECT_EQ(y.grad_fn()->name(), "cube");
    EXPECT_EQ(to_string(y), "tensor([8.0000], shape=(1,), dtype=float64, grad_fn=<cube>)");
    y.backward();
    EXPECT_TENSOR_NEAR(x.grad(), tensor({12.0}, float64), 0.0, 0.0);
}

TEST(CustomOp, NoGraphWithoutGradOrUnderNoGrad)
{
    int backward_calls = 0;
    const auto op = [&](const Tensor& x) {
        return custom_op(
            "counted", {x}, [](const tensor_list& in) { return in[0] * 2.0; },
            [&](const custom_op_context&, const Tensor& g) -> tensor_list {
                ++backward_calls;
                return {g * 2.0};
            });
    };
    const Tensor plain = op(tensor({1.0, 2.0}, float64));
    EXPECT_FALSE(plain.requires_grad());
    EXPECT_FALSE(plain.grad_fn());

    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    {
        no_grad_guard off;
        const Tensor y = op(x);
        EXPECT_FALSE(y.requires_grad());
    }
    // The forward itself never records, even when it is written with differentiable ops.
    const Tensor y = op(x);
    ASSERT_TRUE(y.grad_fn());
    EXPECT_EQ(y.grad_fn()->name(), "counted");
    EXPECT_TRUE(y.grad_fn()->next().at(0)->is_accumulator());
    sum(y).backward();
    EXPECT_EQ(backward_calls, 1);
}

TEST(CustomOp, InPlaceChangeOfASavedInputIsCaught)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor w = tensor({3.0, 4.0}, float64);
    Tensor y = scaled_product(x, w);   // saves both
    w.add_(ones({2}, float64));
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 1 of 'scaled_product' was modified in place after it was saved; update "
                         "tensors in place only after backward(), or clone() them before writing",
                         sum(y).backward());
}

TEST(CustomOp, UnsavedInputMayChangeSavedOutputMayNot)
{
    // softclip saves only its output: writing into the input afterwards is fine.
    Tensor x = tensor({1.0, -3.0}, float64).requires_grad_();
    Tensor h = x * 1.0;
    Tensor y = softclip(h);
    {
        no_grad_guard off;
        h.mutable_data().fill_(0.0);
    }
    sum(y).backward();
    EXPECT_TENSOR_NEAR(x.grad(), tensor({0.25, 0.0625}, float64), 1e-15, 0.0);

    Tensor y2 = softclip(x * 1.0);
    {
        no_grad_guard off;
        y2.mutable_data().fill_(0.0);
    }
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: the output of 'softclip' was modified in place after it was saved; update "
                         "tensors in place only after backward(), or clone() them before writing",
                         sum(y2).backward());
}

TEST(CustomOp, BackwardReturningTheWrongGradientsNamesTheOp)
{
    Tensor a = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor b = tensor({3.0, 4.0}, float64).requires_grad_();
    const auto with_backward = [&](custom_backward_fn backward) {
        return sum(custom_op("mine", {a, b}, [](const tensor_list& in) { return in[0] * in[1]; }, std::move(backward)));
    };
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: custom op 'mine' returned 1 gradient, expected 2 (one per input; leave an entry "
                         "undefined where ctx.needs_input_grad(i) is false)",
                         with_backward([](const custom_op_context&, const Tensor& g) -> tensor_list { return {g}; })
                             .backward());
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: custom op 'mine' returned a gradient for input 1 of shape (1,), expected (2,) "
                         "(the input's shape)",
                         with_backward([](const custom_op_context&, const Tensor& g) -> tensor_list {
                             return {g, reshape(sum(g), {1})};
                         }).backward());
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: custom op 'mine' returned a gradient for input 0 of dtype float32, expected "
                         "float64 (the input's dtype)",
                         with_backward([](const custom_op_context&, const Tensor& g) -> tensor_list {
                             return {g.to(float32), g};
                         }).backward());
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: custom op 'mine' returned an undefined gradient for input 1, which needs one; "
                         "return zeros of shape (2,) if it is zero",
                         with_backward([](const custom_op_context&, const Tensor& g) -> tensor_list {
                             return {g, Tensor()};
                         }).backward());
}

TEST(CustomOp, ReadingWhatWasNotSavedSaysHowToSaveIt)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor y = custom_op(
        "lazy", {x}, [](const tensor_list& in) { return in[0] * 2.0; },
        [](const custom_op_context& ctx, const Tensor& g) -> tensor_list { return {g * ctx.input(0)}; },
        custom_op_options().save_no_inputs());
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "custom op 'lazy': the backward reads input 0, which was not saved; list it in "
                         "custom_op_options().save_inputs(...)",
                         sum(y).backward());
    Tensor z = custom_op(
        "lazy", {x}, [](const tensor_list& in) { return in[0] * 2.0; },
        [](const custom_op_context& ctx, const Tensor& g) -> tensor_list { return {g * ctx.output()}; });
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "custom op 'lazy': the backward reads the output, which was not saved; pass "
                         "custom_op_options().save_output()",
                         sum(z).backward());
    Tensor w = custom_op(
        "lazy", {x}, [](const tensor_list& in) { return in[0] * 2.0; },
        [](const custom_op_context& ctx, const Tensor& g) -> tensor_list { return {g * ctx.input(1)}; });
    EXPECT_THROW_MESSAGE(std::out_of_range, "custom op 'lazy': input 1 does not exist, the op has 1 input",
                         sum(w).backward());
}

TEST(CustomOp, ArgumentErrors)
{
    Tensor x = tensor({1.0}, float64).requires_grad_();
    const custom_forward_fn identity = [](const tensor_list& in) { return in[0]; };
    const custom_backward_fn pass = [](const custom_op_context&, const Tensor& g) -> tensor_list { return {g}; };
    EXPECT_THROW_MESSAGE(std::invalid_argument, "custom_op: expected a non-empty name, got \"\"",
                         custom_op("", {x}, identity, pass));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "custom_op 'op': expected a forward and a backward function, got no backward",
                         custom_op("op", {x}, identity, nullptr));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "custom_op 'op': expected a forward and a backward function, got no forward",
                         custom_op("op", {x}, nullptr, pass));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "custom_op 'op': save_inputs names input 2, but the op has 1 input",
                         custom_op("op", {x}, identity, pass, custom_op_options().save_inputs({2})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "custom_op 'op': forward returned an undefined tensor",
                         custom_op("op", {x}, [](const tensor_list&) { return Tensor(); }, pass));
}

TEST(CustomOp, AnOutputThatIsAnInputIsCopied)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor y = custom_op("identity", {x}, [](const tensor_list& in) { return in[0]; },
                         [](const custom_op_context&, const Tensor& g) -> tensor_list { return {g}; });
    EXPECT_NE(y.data().storage_id(), x.data().storage_id());
    EXPECT_FALSE(y.is_same(x));
    EXPECT_EQ(y.grad_fn()->name(), "identity");
}
