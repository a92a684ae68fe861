// Tensor::register_grad_accumulated_hook: when hooks run (after the sum is in .grad, once per
// backward pass per leaf, in the order leaves finish, in registration order per leaf), what
// they see, removal (also from inside a hook), exceptions, and the misuse errors.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adjoint;

TEST(GradHooks, RunAfterTheGradientIsAccumulatedAndSeeTheSum)
{
    Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
    std::vector<std::vector<double>> seen;
    w.register_grad_accumulated_hook([&](const Tensor& leaf) {
        EXPECT_TRUE(leaf.is_same(w));
        seen.push_back(leaf.grad().to_vector());
    });
    // w is used twice: the engine sums both contributions first, so the hook runs once.
    sum(w * w + w * 3.0).backward();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], (std::vector<double>{5.0, 7.0}));
    // A second pass accumulates into .grad; the hook sees the running sum.
    sum(w).backward();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1], (std::vector<double>{6.0, 8.0}));
}

TEST(GradHooks, RunPerLeafAsEachFinishesInRegistrationOrder)
{
    Tensor a = tensor({1.0}, float64).requires_grad_();
    Tensor b = tensor({2.0}, float64).requires_grad_();
    std::vector<std::string> order;
    a.register_grad_accumulated_hook([&](const Tensor&) { order.push_back("a1"); });
    a.register_grad_accumulated_hook([&](const Tensor&) { order.push_back("a2"); });
    b.register_grad_accumulated_hook([&](const Tensor& leaf) {
        order.push_back("b");
        EXPECT_TENSOR_NEAR(leaf.grad(), tensor({std::exp(2.0)}, float64), 1e-12, 0.0);
    });
    sum(a * 2.0 + exp(b) * a).backward();
    ASSERT_EQ(order.size(), 3u);
    std::vector<std::string> a_only;
    for (const auto& o : order)
    {
        if (o != "b")
        {
            a_only.push_back(o);
        }
    }
    EXPECT_EQ(a_only, (std::vector<std::string>{"a1", "a2"}));
}

TEST(GradHooks, RemovedHooksDoNotRunAndMayRemoveThemselves)
{
    Tensor w = tensor({1.0}, float64).requires_grad_();
    int kept = 0, removed = 0, once = 0;
    w.register_grad_accumulated_hook([&](const Tensor&) { ++kept; });
    const std::size_t h = w.register_grad_accumulated_hook([&](const Tensor&) { ++removed; });
    std::size_t self = 0;
    self = w.register_grad_accumulated_hook([&](const Tensor& leaf) {
        ++once;
        Tensor(leaf).remove_grad_accumulated_hook(self);
    });
    w.remove_grad_accumulated_hook(h);
    w.remove_grad_accumulated_hook(987654321);   // unknown: nothing happens
    sum(w).backward();
    sum(w).backward();
    EXPECT_EQ(kept, 2);
    EXPECT_EQ(removed, 0);
    EXPECT_EQ(once, 1);
}

TEST(GradHooks, NotRunByGradNorForLeavesOutsideTheGraph)
{
    Tensor w = tensor({1.0}, float64).requires_grad_();
    Tensor unused = tensor({1.0}, float64).requires_grad_();
    int calls = 0;
    w.register_grad_accumulated_hook([&](const Tensor&) { ++calls; });
    unused.register_grad_accumulated_hook([&](const Tensor&) { ++calls; });
    grad({sum(w * w)}, {w});   // torch.autograd.grad leaves .grad alone: no accumulation, no hook
    EXPECT_EQ(calls, 0);
    sum(w * w).backward();
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(unused.grad().defined());
}

TEST(GradHooks, AnExceptionFromAHookLeavesBackward)
{
    Tensor w = tensor({1.0}, float64).requires_grad_();
    w.register_grad_accumulated_hook([](const Tensor&) { throw std::runtime_error("hook failed"); });
    EXPECT_THROW_MESSAGE(std::runtime_error, "hook failed", sum(w).backward());
    // The gradient was accumulated before the hook ran.
    EXPECT_TENSOR_NEAR(w.grad(), tensor({1.0}, float64), 0.0, 0.0);
}

TEST(GradHooks, Misuse)
{
    Tensor w = tensor({1.0}, float64).requires_grad_();
    Tensor y = w * 2.0;
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "register_grad_accumulated_hook: only a leaf tensor accumulates a gradient, got the output of an op",
                         y.register_grad_accumulated_hook([](const Tensor&) {}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "register_grad_accumulated_hook: expected a callable hook, got an empty one",
                         w.register_grad_accumulated_hook(nullptr));
}
