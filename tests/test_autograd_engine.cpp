// The backward pass itself: accumulation into leaves, broadcasting, retain_graph,
// graph release, grad(), no_grad_guard and misuse errors.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

using namespace adjoint;

TEST(Engine, ChainAndAccumulation)
{
    Tensor x = tensor({1.0, 2.0, 3.0}, float64).requires_grad_();
    Tensor y = sum(x * x + x * 3.0);
    y.backward();
    EXPECT_TENSOR_NEAR(x.grad(), tensor({5.0, 7.0, 9.0}, float64), 0.0, 0.0);
    sum(x).backward();   // accumulates until zero_grad
    EXPECT_TENSOR_NEAR(x.grad(), tensor({6.0, 8.0, 10.0}, float64), 0.0, 0.0);
    x.zero_grad();
    EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, BroadcastGradientsSumBackToInputShape)
{
    Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, float64).requires_grad_();
    Tensor b = tensor({10.0, 20.0, 30.0}, float64).requires_grad_();
    sum(a * b).backward();
    EXPECT_TENSOR_NEAR(a.grad(), tensor({{10.0, 20.0, 30.0}, {10.0, 20.0, 30.0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(b.grad(), tensor({5.0, 7.0, 9.0}, float64), 0.0, 0.0);
}

TEST(Engine, SecondBackwardWithoutRetainGraphSaysHowToKeepIt)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor y = sum(x * x);
    y.backward(Tensor(), /*retain_graph=*/true);
    y.backward();
    EXPECT_TENSOR_NEAR(x.grad(), tensor({4.0, 8.0}, float64), 0.0, 0.0);
    try
    {
        y.backward();
        FAIL() << "expected std::logic_error";
    }
    catch (const std::logic_error& e)
    {
        EXPECT_NE(std::string(e.what()).find("retain_graph=true"), std::string::npos) << e.what();
    }
}

TEST(Engine, MisuseErrors)
{
    Tensor x = tensor({1.0, 2.0}, float64);
    EXPECT_THROW(sum(x).backward(), std::logic_error);   // nothing requires grad
    Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
    try
    {
        (w * 2.0).backward();
        FAIL() << "expected std::logic_error";
    }
    catch (const std::logic_error& e)
    {
        EXPECT_EQ(std::string(e.what()),
                  "backward: a gradient can be created implicitly only for a one-element output, got shape (2,); "
                  "pass a gradient of that shape");
    }
    EXPECT_THROW(w + tensor({1.0, 2.0}, float32), std::invalid_argument);
}

TEST(Engine, NoGradGuardRecordsNothing)
{
    Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
    {
        no_grad_guard guard;
        Tensor y = w * w;
        EXPECT_FALSE(y.requires_grad());
    }
    EXPECT_TRUE((w * w).requires_grad());
}

TEST(Engine, GradFunctionLeavesLeafGradAlone)
{
    Tensor x = tensor({1.0, 2.0, 3.0}, float64).requires_grad_();
    Tensor y = sum(x * x * x);
    auto g = grad({y}, {x}, {}, false, /*create_graph=*/true);
    EXPECT_TENSOR_NEAR(g[0], tensor({3.0, 12.0, 27.0}, float64), 1e-12, 0.0);
    EXPECT_FALSE(x.grad().defined());
    sum(g[0]).backward();   // second derivative 6x
    EXPECT_TENSOR_NEAR(x.grad(), tensor({6.0, 12.0, 18.0}, float64), 1e-12, 0.0);
}

TEST(Engine, GraphIsFreedAfterBackward)
{
    const auto before = Node::live_count();
    Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
    for (int i = 0; i < 100; ++i)
    {
        Tensor loss = sum(w * w + w);
        EXPECT_GT(Node::live_count(), before);
        loss.backward();
    }
    EXPECT_EQ(Node::live_count(), before);
}

TEST(Gradcheck, PassesOnCorrectAndFailsOnZeroGradient)
{
    Tensor a = tensor({{0.5, -1.0}, {2.0, 0.25}}, float64).requires_grad_();
    Tensor b = tensor({1.5, -0.5}, float64).requires_grad_();
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] * in[1] / (in[1] * in[1] + 1.0) - in[0]; }, {a, b});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return in[0] * in[1] * in[1]; }, {a, b});

    // An op whose recorded gradient is zero while the function changes: must be caught.
    tensor_fn detached = [](const tensor_list& in) { return in[0].detach() * in[0].detach() + in[0] * 0.0; };
    const auto r = gradcheck(detached, {a});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("all zero"), std::string::npos) << r.message;
}
