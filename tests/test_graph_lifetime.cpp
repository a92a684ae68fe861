// Graphs of any length are freed without recursion, after backward or without it, and the
// threading contract: independent models in several threads, and one parameter shared by
// threads that each run their own forward and backward (gradients add up exactly).
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <thread>

using namespace adjoint;

namespace
{
    constexpr int k_long = 200000;   // a recursive free overflowed the stack well before this
}

TEST(GraphLifetime, LongChainIsFreedIteratively)
{
    const auto before = Node::live_count();
    {
        Tensor x = tensor({1.0}, float64).requires_grad_();
        Tensor y = x;
        for (int i = 0; i < k_long; ++i)
        {
            y = y + x;
        }
        EXPECT_GT(Node::live_count(), before + k_long);
    }
    EXPECT_EQ(Node::live_count(), before);
}

TEST(GraphLifetime, LongChainOfOpsThatCaptureTensorsIsFreedIteratively)
{
    // mul's backward holds its inputs, so here each node is also freed through a lambda capture.
    const auto before = Node::live_count();
    {
        Tensor x = tensor({1.0}, float64).requires_grad_();
        Tensor y = x;
        for (int i = 0; i < k_long; ++i)
        {
            y = y * x;
        }
    }
    EXPECT_EQ(Node::live_count(), before);
}

TEST(GraphLifetime, LongChainAfterRetainedBackward)
{
    const auto before = Node::live_count();
    {
        Tensor x = tensor({1.0}, float64).requires_grad_();
        Tensor y = x;
        for (int i = 0; i < k_long; ++i)
        {
            y = y + x;
        }
        y.backward(Tensor(), /*retain_graph=*/true);
        EXPECT_EQ(x.grad().item(), k_long + 1.0);
    }
    EXPECT_EQ(Node::live_count(), before);
}

TEST(GraphLifetime, SharedParameterAccumulatesExactlyAcrossThreads)
{
    // Each thread runs its own graphs through one leaf: every gradient must arrive.
    Tensor w = tensor({1.0}, float64).requires_grad_();
    constexpr int threads = 4, steps = 3000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
    {
        pool.emplace_back([&w] {
            const Tensor x = tensor({1.2}, float64);
            for (int s = 0; s < steps; ++s)
            {
                sum(w * x).backward();
            }
        });
    }
    for (auto& th : pool)
    {
        th.join();
    }
    EXPECT_NEAR(w.grad().item(), 1.2 * threads * steps, 1e-6);
}

TEST(GraphLifetime, IndependentModelsInThreadsMatchSequentialRuns)
{
    auto train = [](std::uint64_t seed) {
        Tensor w = tensor({{0.5, -0.25}, {0.75, 0.1}}, float64).requires_grad_();
        Tensor x = tensor({{static_cast<double>(seed), 1.0}}, float64);
        for (int s = 0; s < 200; ++s)
        {
            Tensor loss = sum(tanh(matmul(x, w)));
            loss.backward();
            no_grad_guard off;
            w.sub_(w.grad(), 0.01);
            w.zero_grad();
        }
        return w.to_vector();
    };
    const auto a = train(1), b = train(2);
    std::vector<double> ta, tb;
    std::thread t1([&] { ta = train(1); });
    std::thread t2([&] { tb = train(2); });
    t1.join();
    t2.join();
    EXPECT_EQ(ta, a);   // bit-identical
    EXPECT_EQ(tb, b);
}
