// DistributedDataParallel against single-process training on the same samples: 2 ranks with
// 8 samples each train to the parameters of one process with all 16 (float64, 1e-10);
// every bucket size gives bit-identical parameters; no_sync accumulation equals the larger
// batch; rank 0's parameters and buffers win at start; a replica mismatch is named; an
// unused parameter and a forgotten finish_gradient_sync are handled. Needs exactly 2 ranks.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>
#include <adjoint/testing/testing.hpp>

#include <memory>

using namespace adjoint;
using namespace adjoint::optim;
namespace dist = adjoint::distributed;

namespace
{
    const dist::process_group& group()
    {
        static dist::process_group g;
        return g;
    }

    constexpr std::int64_t per_rank = 8;

    // A small encoder-decoder (no BatchNorm: its statistics are per rank, see the docs).
    std::shared_ptr<Sequential> make_model(std::uint64_t seed, std::int64_t width = 4)
    {
        manual_seed(seed);
        auto m = std::make_shared<Sequential>(
            std::make_shared<Conv2d>(Conv2dOptions(2, width, 3).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<Conv2d>(Conv2dOptions(width, 6, 3).stride(2).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(6, 3, 4).stride(2).padding(1)),
            std::make_shared<ReLU>(), std::make_shared<Conv2d>(Conv2dOptions(3, 1, 1)));
        m->to(float64);
        return m;
    }

    // 16 samples, the same on every rank: rank r trains on samples [8 r, 8 r + 8).
    struct data
    {
        Tensor x, y;
    };
    data samples()
    {
        manual_seed(1234);
        return {randn({2 * per_rank, 2, 8, 8}, float64), randn({2 * per_rank, 1, 8, 8}, float64)};
    }
    Tensor mine(const Tensor& t, std::int64_t begin, std::int64_t count)
    {
        return narrow(t, 0, group().rank() * per_rank + begin, count);
    }

    void step(Sequential& model, Optimizer& opt, const Tensor& x, const Tensor& y, dist::DistributedDataParallel* ddp)
    {
        opt.zero_grad();
        mse_loss(model(x), y).backward();
        if (ddp)
        {
            ddp->finish_gradient_sync();
        }
        opt.step();
    }

    std::shared_ptr<Sequential> reference_copy(const Sequential& model)
    {
        return std::dynamic_pointer_cast<Sequential>(model.clone());
    }

    void expect_same_parameters(const Module& a, const Module& b, double tolerance)
    {
        const auto pa = a.named_parameters(), pb = b.named_parameters();
        ASSERT_EQ(pa.size(), pb.size());
        for (std::size_t i = 0; i < pa.size(); ++i)
        {
            SCOPED_TRACE(pa[i].first);
            EXPECT_TENSOR_NEAR(pa[i].second, pb[i].second, tolerance, 0.0);
        }
    }

    // Every rank's copy of every parameter is bitwise rank 0's.
    void expect_replicas_identical(const Module& m)
    {
        for (const auto& [name, p] : m.named_parameters())
        {
            Tensor root(p.data().clone());
            group().broadcast(root, 0);
            SCOPED_TRACE(name);
            EXPECT_TENSOR_NEAR(p.detach(), root, 0.0, 0.0);
        }
    }

    constexpr int steps = 5;
}

TEST(DataParallel, TwoRanksOfEightTrainLikeOneProcessOfSixteen)
{
    ASSERT_EQ(group().size(), 2) << "this suite compares 2 ranks x 8 samples with one process x 16";
    const data d = samples();
    auto model = make_model(42);
    dist::DistributedDataParallel ddp(*model, group());
    auto reference = reference_copy(*model);
    SGD opt(model->parameters(), SGDOptions(0.1).momentum(0.9));
    SGD ref_opt(reference->parameters(), SGDOptions(0.1).momentum(0.9));
    for (int s = 0; s < steps; ++s)
    {
        step(*model, opt, mine(d.x, 0, per_rank), mine(d.y, 0, per_rank), &ddp);
        step(*reference, ref_opt, d.x, d.y, nullptr);
    }
    expect_same_parameters(*model, *reference, 1e-10);
    expect_replicas_identical(*model);
    // The comparison can fail: training on this rank's half alone drifts far from it.
    auto alone = make_model(42);
    SGD alone_opt(alone->parameters(), SGDOptions(0.1).momentum(0.9));
    for (int s = 0; s < steps; ++s)
    {
        step(*alone, alone_opt, mine(d.x, 0, per_rank), mine(d.y, 0, per_rank), nullptr);
    }
    EXPECT_GT(max(abs(alone->parameters()[0] - reference->parameters()[0])).item(), 1e-6);
}

TEST(DataParallel, EveryBucketSizeGivesIdenticalParameters)
{
    const data d = samples();
    std::vector<std::shared_ptr<Sequential>> results;
    std::vector<std::size_t> bucket_counts;
    // 1e-6 MiB: one parameter per bucket; 1e-3 MiB (about 1 KB): a few; 25 MiB: one.
    for (double mb : {1e-6, 1e-3, 25.0})
    {
        auto model = make_model(7);
        dist::DistributedDataParallel ddp(*model, group(), dist::DistributedDataParallelOptions().bucket_cap_mb(mb));
        bucket_counts.push_back(ddp.bucket_parameter_names().size());
        Adam opt(model->parameters(), AdamOptions(1e-2));
        for (int s = 0; s < steps; ++s)
        {
            step(*model, opt, mine(d.x, 0, per_rank), mine(d.y, 0, per_rank), &ddp);
        }
        results.push_back(model);
    }
    EXPECT_EQ(bucket_counts[0], results[0]->parameters().size());
    EXPECT_GT(bucket_counts[1], 1u);
    EXPECT_LT(bucket_counts[1], bucket_counts[0]);
    EXPECT_EQ(bucket_counts[2], 1u);
    expect_same_parameters(*results[0], *results[1], 0.0);
    expect_same_parameters(*results[0], *results[2], 0.0);
}

TEST(DataParallel, BucketsHoldParametersInReverseOrder)
{
    auto model = make_model(7);
    dist::DistributedDataParallel ddp(*model, group(), dist::DistributedDataParallelOptions().bucket_cap_mb(1e-6));
    const auto buckets = ddp.bucket_parameter_names();
    ASSERT_EQ(buckets.size(), 8u);
    EXPECT_EQ(buckets.front(), (std::vector<std::string>{"6.bias"}));
    EXPECT_EQ(buckets.back(), (std::vector<std::string>{"0.weight"}));
}

TEST(DataParallel, NoSyncAccumulationEqualsTheLargerBatch)
{
    const data d = samples();
    auto model = make_model(9);
    dist::DistributedDataParallel ddp(*model, group());
    auto reference = reference_copy(*model);
    SGD opt(model->parameters(), SGDOptions(0.05));
    SGD ref_opt(reference->parameters(), SGDOptions(0.05));
    for (int s = 0; s < steps; ++s)
    {
        opt.zero_grad();
        {
            auto guard = ddp.no_sync();
            // Half of the rank's 8 samples; the loss halved so the two halves add to the mean.
            (mse_loss((*model)(mine(d.x, 0, 4)), mine(d.y, 0, 4)) * 0.5).backward();
            EXPECT_FALSE(ddp.sync_pending());   // nothing sent
            ddp.finish_gradient_sync();         // and nothing to wait for
        }
        (mse_loss((*model)(mine(d.x, 4, 4)), mine(d.y, 4, 4)) * 0.5).backward();
        EXPECT_TRUE(ddp.sync_pending());
        ddp.finish_gradient_sync();
        opt.step();
        step(*reference, ref_opt, d.x, d.y, nullptr);
    }
    expect_same_parameters(*model, *reference, 1e-10);
}

TEST(DataParallel, RankZeroParametersAndBuffersWinAtStart)
{
    struct with_buffer : Module
    {
        Tensor w, counter;
        explicit with_buffer(double v)
        {
            w = register_parameter("w", full({3}, v, float64));
            counter = register_buffer("counter", full({1}, v, int64));
        }
    };
    with_buffer m(group().rank() + 1.0);
    dist::DistributedDataParallel ddp(m, group());
    EXPECT_TENSOR_NEAR(m.w.detach(), full({3}, 1.0, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(m.counter, full({1}, 1.0, int64), 0.0, 0.0);
    // sync_buffers copies rank 0's again later.
    {
        const no_grad_guard no_grad;
        m.counter.fill_(group().rank() + 5.0);
    }
    ddp.sync_buffers();
    EXPECT_TENSOR_NEAR(m.counter, full({1}, 5.0, int64), 0.0, 0.0);
}

TEST(DataParallel, AReplicaMismatchIsNamedOnEveryRank)
{
    // Rank 1 builds its first convolution 5 wide instead of 4.
    auto model = make_model(1, group().rank() == 1 ? 5 : 4);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "DistributedDataParallel: the model replicas differ across ranks: parameter '0.weight' is "
                         "float64 (5, 2, 3, 3) on rank 1 but float64 (4, 2, 3, 3) on rank 0; every rank must build "
                         "the same model",
                         dist::DistributedDataParallel(*model, group()));
    // One more layer on rank 1.
    Sequential small(std::make_shared<Linear>(LinearOptions(3, 2)));
    if (group().rank() == 1)
    {
        small.push_back(std::make_shared<Linear>(LinearOptions(2, 2)));
    }
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "DistributedDataParallel: the model replicas differ across ranks: rank 1 has 4 parameters "
                         "and buffers but rank 0 has 2; the first one only on rank 1 is parameter '1.weight' float32 "
                         "(2, 2); every rank must build the same model",
                         dist::DistributedDataParallel(small, group()));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "DistributedDataParallel: bucket_cap_mb must be > 0, got 0",
                         dist::DistributedDataParallel(*make_model(1), group(),
                                                       dist::DistributedDataParallelOptions().bucket_cap_mb(0)));
}

TEST(DataParallel, AnUnusedParameterGetsTheAverageOfWhatRanksHave)
{
    struct two : Module
    {
        Tensor used, unused;
        two()
        {
            used = register_parameter("used", ones({2}, float64));
            unused = register_parameter("unused", ones({2}, float64));
        }
    };
    two m;
    dist::DistributedDataParallel ddp(m, group(), dist::DistributedDataParallelOptions().bucket_cap_mb(1e-6));
    sum(m.used * (group().rank() + 1.0)).backward();
    ddp.finish_gradient_sync();
    EXPECT_TENSOR_NEAR(m.used.grad(), full({2}, 1.5, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(m.unused.grad(), zeros({2}, float64), 0.0, 0.0);
}

TEST(DataParallel, ASecondBackwardWithoutFinishingTheSyncIsAnError)
{
    auto model = make_model(3);
    dist::DistributedDataParallel ddp(*model, group());
    const data d = samples();
    mse_loss((*model)(mine(d.x, 0, 2)), mine(d.y, 0, 2)).backward();
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "DistributedDataParallel: parameter '6.bias' received a second gradient before "
                         "finish_gradient_sync(); call finish_gradient_sync() after every backward() (before "
                         "optimizer.step()), or run the extra backward passes under no_sync()",
                         mse_loss((*model)(mine(d.x, 0, 2)), mine(d.y, 0, 2)).backward());
    ddp.finish_gradient_sync();   // the first pass's buckets complete; the state is clean again
    EXPECT_FALSE(ddp.sync_pending());
}
