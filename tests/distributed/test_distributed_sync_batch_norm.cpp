// SyncBatchNorm against one process holding the whole batch: 2 ranks x 4 samples normalise,
// back-propagate and update their running statistics exactly as BatchNorm2d on all 8
// (float64, 1e-10), also with uneven per-rank batches, momentum = nullopt and no affine; a
// per-rank BatchNorm2d fails the same comparison; DistributedDataParallel over a model with
// SyncBatchNorm trains like one process with BatchNorm2d, from the same checkpoint; eval
// needs no other rank; errors are named; convert_sync_batchnorm swaps a model's BatchNorm2d
// layers keeping their state, and refuses one a module calls through its member. Needs
// exactly 2 ranks.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>
#include <adjoint/testing/testing.hpp>

#include <memory>
#include <optional>

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

    constexpr std::int64_t channels = 3;

    // The same 8 samples and loss weights on every rank (seeded); `step` picks another batch.
    struct data
    {
        Tensor x, r;
    };
    data samples(std::uint64_t step, adjoint::dtype dt = float64)
    {
        manual_seed(100 + step);
        // Mean and scale far from 0 and 1, so a wrong mean or variance shows.
        return {randn({8, channels, 5, 4}, dt) * 3.0 + 2.0, randn({8, channels, 5, 4}, dt)};
    }

    // Non-trivial weight and bias, copied into both layers.
    template <class BN>
    void set_affine(BN& bn)
    {
        if (!bn.options().affine())
        {
            return;
        }
        manual_seed(7);
        no_grad_guard off;
        bn.weight().copy_(randn({channels}, bn.weight().dtype()) * 0.5 + 1.0);
        bn.bias().copy_(randn({channels}, bn.bias().dtype()));
    }

    // Rank r's samples [begin_r, begin_r + count_r) out of the 8: `split` is rank 0's count.
    Tensor mine(const Tensor& t, std::int64_t split)
    {
        return group().rank() == 0 ? narrow(t, 0, 0, split) : narrow(t, 0, split, t.size(0) - split);
    }

    // One forward/backward with loss sum(y * r): its gradient reaches x through the batch
    // statistics (a plain sum would give a zero input gradient).
    struct pass
    {
        Tensor y, gx;
    };
    template <class BN>
    pass run(BN& bn, const Tensor& x, const Tensor& r)
    {
        Tensor leaf = x.detach().requires_grad_(true);
        Tensor y = bn(leaf);
        sum(y * r).backward();
        return {y.detach(), leaf.grad()};
    }

    Tensor summed_over_ranks(const Tensor& t)
    {
        Tensor s(t.data().clone());
        group().all_reduce(s, dist::reduce_op::sum);
        return s;
    }

    // Runs `steps` training passes of SyncBatchNorm on this rank's share and of BatchNorm2d on
    // all 8, comparing everything after each one.
    void expect_matches_one_process(const BatchNorm2dOptions& options, std::int64_t split, adjoint::dtype dt,
                                    double atol, double rtol)
    {
        dist::SyncBatchNorm sync(options, group());
        BatchNorm2d reference(options);
        sync.to(dt);
        reference.to(dt);
        set_affine(sync);
        set_affine(reference);
        for (std::uint64_t s = 0; s < 3; ++s)
        {
            SCOPED_TRACE(adjoint::detail::str("step ", s));
            const data d = samples(s, dt);
            sync.zero_grad();
            reference.zero_grad();
            const pass p = run(sync, mine(d.x, split), mine(d.r, split));
            const pass ref = run(reference, d.x, d.r);
            EXPECT_TENSOR_NEAR(p.y, mine(ref.y, split), atol, rtol);
            EXPECT_TENSOR_NEAR(p.gx, mine(ref.gx, split), atol, rtol);
            if (options.affine())
            {
                // The loss of the whole batch is the sum of the ranks' losses.
                EXPECT_TENSOR_NEAR(summed_over_ranks(sync.weight().grad()), reference.weight().grad(), atol, rtol);
                EXPECT_TENSOR_NEAR(summed_over_ranks(sync.bias().grad()), reference.bias().grad(), atol, rtol);
            }
            EXPECT_TENSOR_NEAR(sync.running_mean(), reference.running_mean(), atol, rtol);
            EXPECT_TENSOR_NEAR(sync.running_var(), reference.running_var(), atol, rtol);
            EXPECT_EQ(sync.num_batches_tracked().item(), reference.num_batches_tracked().item());
        }
        // Eval: the running statistics, the same on every rank, no communication needed.
        sync.eval();
        reference.eval();
        const data d = samples(9, dt);
        EXPECT_TENSOR_NEAR(sync(mine(d.x, split)), mine(reference(d.x), split), atol, rtol);
    }
}

TEST(SyncBatchNorm, TwoRanksOfFourMatchOneProcessOfEight)
{
    ASSERT_EQ(group().size(), 2) << "this suite compares 2 ranks x 4 samples with one process x 8";
    expect_matches_one_process(BatchNorm2dOptions(channels), 4, float64, 1e-10, 0.0);
}

TEST(SyncBatchNorm, UnevenBatchesCumulativeMomentumAndNoAffine)
{
    // Rank 0 holds 3 samples, rank 1 holds 5: the count is all-reduced too.
    expect_matches_one_process(BatchNorm2dOptions(channels).momentum(std::nullopt), 3, float64, 1e-10, 0.0);
    expect_matches_one_process(BatchNorm2dOptions(channels).affine(false).momentum(0.3), 5, float64, 1e-10, 0.0);
}

TEST(SyncBatchNorm, Float32MatchesOneProcess)
{
    expect_matches_one_process(BatchNorm2dOptions(channels), 4, float32, 1e-4, 1e-4);
}

TEST(SyncBatchNorm, PerRankBatchNormFailsTheSameComparison)
{
    // The comparison above can fail: BatchNorm2d on each rank's half normalises with that
    // half's statistics.
    BatchNorm2d per_rank{BatchNorm2dOptions(channels)}, reference{BatchNorm2dOptions(channels)};
    per_rank.to(float64);
    reference.to(float64);
    const data d = samples(0);
    const pass p = run(per_rank, mine(d.x, 4), mine(d.r, 4));
    const pass ref = run(reference, d.x, d.r);
    EXPECT_GT(max(abs(p.y - mine(ref.y, 4))).item(), 1e-3);
    EXPECT_GT(max(abs(p.gx - mine(ref.gx, 4))).item(), 1e-3);
    EXPECT_GT(max(abs(per_rank.running_mean() - reference.running_mean())).item(), 1e-3);
    EXPECT_GT(max(abs(per_rank.running_var() - reference.running_var())).item(), 1e-3);
}

namespace
{
    template <class BN>
    std::shared_ptr<Sequential> make_model(std::shared_ptr<BN> bn)
    {
        auto m = std::make_shared<Sequential>(std::make_shared<Conv2d>(Conv2dOptions(2, channels, 3).padding(1)), bn,
                                              std::make_shared<ReLU>(),
                                              std::make_shared<Conv2d>(Conv2dOptions(channels, 1, 3).padding(1)));
        m->to(float64);
        return m;
    }
}

TEST(SyncBatchNorm, DataParallelWithSyncBatchNormTrainsLikeOneProcessFromTheSameCheckpoint)
{
    manual_seed(42);
    auto reference = make_model(std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels)));
    auto model = make_model(std::make_shared<dist::SyncBatchNorm>(BatchNorm2dOptions(channels), group()));
    // Same keys as BatchNorm2d: the reference's checkpoint loads strictly.
    model->load_state_dict(reference->state_dict());
    dist::DistributedDataParallel ddp(*model, group());
    SGD opt(model->parameters(), SGDOptions(0.1).momentum(0.9));
    SGD ref_opt(reference->parameters(), SGDOptions(0.1).momentum(0.9));
    for (std::uint64_t s = 0; s < 3; ++s)
    {
        manual_seed(500 + s);
        const Tensor x = randn({8, 2, 6, 6}, float64), y = randn({8, 1, 6, 6}, float64);
        opt.zero_grad();
        mse_loss((*model)(mine(x, 4)), mine(y, 4)).backward();   // each rank's mean loss
        ddp.finish_gradient_sync();                              // averaged: the global mean's gradient
        opt.step();
        ref_opt.zero_grad();
        mse_loss((*reference)(x), y).backward();
        ref_opt.step();
    }
    const auto sd = model->state_dict(), ref_sd = reference->state_dict();
    ASSERT_EQ(sd.size(), ref_sd.size());
    for (std::size_t i = 0; i < sd.size(); ++i)
    {
        SCOPED_TRACE(sd[i].first);
        EXPECT_EQ(sd[i].first, ref_sd[i].first);
        EXPECT_TENSOR_NEAR(sd[i].second, ref_sd[i].second, 1e-10, 0.0);
    }
    // And back: the trained SyncBatchNorm model's checkpoint loads into BatchNorm2d.
    auto back = make_model(std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels)));
    back->load_state_dict(model->state_dict());
}

TEST(SyncBatchNorm, EvalNeedsNoOtherRank)
{
    // Only rank 0 evaluates: if eval communicated, rank 0 would wait here for rank 1 forever
    // (the ctest TIMEOUT would catch it).
    if (group().rank() == 0)
    {
        dist::SyncBatchNorm sync{BatchNorm2dOptions(channels), group()};
        BatchNorm2d reference{BatchNorm2dOptions(channels)};
        for (auto* m : {static_cast<Module*>(&sync), static_cast<Module*>(&reference)})
        {
            m->to(float64);
            m->eval();
        }
        const Tensor x = samples(0).x;
        EXPECT_TENSOR_NEAR(sync(x), reference(x), 0.0, 0.0);
        // Without running statistics eval uses the rank's own batch, as PyTorch.
        dist::SyncBatchNorm untracked(BatchNorm2dOptions(channels).track_running_stats(false), group());
        BatchNorm2d untracked_ref(BatchNorm2dOptions(channels).track_running_stats(false));
        untracked.to(float64);
        untracked_ref.to(float64);
        untracked.eval();
        untracked_ref.eval();
        EXPECT_TENSOR_NEAR(untracked(x), untracked_ref(x), 0.0, 0.0);
    }
    group().barrier();
}

TEST(SyncBatchNorm, PrintsAndNamesStateLikeBatchNorm2d)
{
    const BatchNorm2dOptions o = BatchNorm2dOptions(16).eps(1e-3).momentum(std::nullopt);
    dist::SyncBatchNorm sync(o, group());
    BatchNorm2d bn(o);
    EXPECT_EQ(sync.extra_repr(), "16, eps=0.001, momentum=None, affine=True, track_running_stats=True");
    EXPECT_EQ(sync.type_name(), "SyncBatchNorm");
    const auto a = sync.state_dict(), b = bn.state_dict();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        EXPECT_EQ(a[i].first, b[i].first);
        EXPECT_EQ(a[i].second.dtype(), b[i].second.dtype());
        EXPECT_EQ(a[i].second.shape(), b[i].second.shape());
    }
    // clone keeps the group and copies the state.
    auto copy = std::dynamic_pointer_cast<dist::SyncBatchNorm>(sync.clone());
    ASSERT_TRUE(copy);
    EXPECT_EQ(&copy->group(), &group());
}

namespace
{
    // A module that calls its norm layer through its own member, as TinySeg's stages do.
    class Stage : public Module
    {
    public:
        Stage() : bn(register_module("bn", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels)))) {}
        Tensor forward(const Tensor& x) { return bn->forward(x); }
        std::shared_ptr<BatchNorm2d> bn;
    };
}

TEST(SyncBatchNorm, ConvertSyncBatchnormSwapsEveryBatchNorm2dOfSequentials)
{
    manual_seed(3);
    auto conv = std::make_shared<Conv2d>(Conv2dOptions(channels, channels, 3).padding(1));
    auto shared = std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels).momentum(std::nullopt));
    auto inner = std::make_shared<Sequential>(conv, shared, std::make_shared<ReLU>());
    auto model = std::make_shared<Sequential>(inner, shared);   // one layer at two places
    model->to(float64);
    set_affine(*shared);
    shared->bias().requires_grad_(false);
    for (std::uint64_t s = 0; s < 2; ++s)   // running statistics and a count away from the defaults
    {
        model->forward(samples(s).x);
    }
    model->eval();
    const Tensor x = samples(5).x;
    const Tensor before = model->forward(x);
    const named_tensors state = model->state_dict();

    EXPECT_EQ(dist::convert_sync_batchnorm(model, group()), model);
    auto sync = std::dynamic_pointer_cast<dist::SyncBatchNorm>((*inner)[1]);
    ASSERT_TRUE(sync);
    EXPECT_EQ((*model)[1], sync);   // still one shared layer
    EXPECT_EQ((*inner)[0], conv);
    EXPECT_EQ(&sync->group(), &group());
    EXPECT_FALSE(sync->options().momentum().has_value());
    EXPECT_FALSE(sync->is_training());
    EXPECT_EQ(sync->weight().dtype(), float64);
    EXPECT_TRUE(sync->weight().requires_grad());
    EXPECT_FALSE(sync->bias().requires_grad());
    const named_tensors after = model->state_dict();
    ASSERT_EQ(after.size(), state.size());
    for (std::size_t i = 0; i < state.size(); ++i)
    {
        EXPECT_EQ(after[i].first, state[i].first);
        EXPECT_TENSOR_NEAR(after[i].second, state[i].second, 0.0, 0.0) << state[i].first;
    }
    EXPECT_EQ(sync->num_batches_tracked().item(), 4.0);   // 2 forwards through both places
    EXPECT_TENSOR_NEAR(model->forward(x), before, 0.0, 0.0);   // eval: the same running statistics

    // A lone BatchNorm2d comes back converted.
    auto lone = dist::convert_sync_batchnorm(std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels)), group());
    EXPECT_EQ(lone->type_name(), "SyncBatchNorm");
}

TEST(SyncBatchNorm, ConvertSyncBatchnormRefusesALayerCalledThroughAMember)
{
    auto stage = std::make_shared<Stage>();
    auto free_bn = std::make_shared<BatchNorm2d>(BatchNorm2dOptions(channels));
    auto model = std::make_shared<Sequential>(free_bn, stage);
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "convert_sync_batchnorm: a BatchNorm2d can be converted only inside a Sequential, whose forward calls its "
        "children through the registry; found in other modules: 1.bn (in Stage). Such a module would go on "
        "calling the old layer through its member: build it with SyncBatchNorm instead (e.g. give its "
        "constructor the norm layer to use)",
        dist::convert_sync_batchnorm(model, group()));
    EXPECT_EQ((*model)[0], free_bn);   // nothing was converted
    EXPECT_THROW_MESSAGE(std::invalid_argument, "convert_sync_batchnorm: the model is null",
                         dist::convert_sync_batchnorm(nullptr, group()));
}

TEST(SyncBatchNorm, Errors)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SyncBatchNorm: num_features must be >= 1, got 0",
                         dist::SyncBatchNorm(BatchNorm2dOptions(0), group()));
    dist::SyncBatchNorm sync{BatchNorm2dOptions(channels), group()};
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SyncBatchNorm: expected at least 2D input [N, C, ...], got size (3,)",
                         sync(zeros({3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SyncBatchNorm: expected 3 channels (num_features), got input of size (2, 4, 5, 5)",
                         sync(zeros({2, 4, 5, 5})));
    // One value per channel over both ranks (rank 0 one sample, rank 1 none): every rank throws.
    const Tensor single = zeros({group().rank() == 0 ? 1 : 0, channels});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         adjoint::detail::str("SyncBatchNorm: expected more than 1 value per channel when training over all 2 "
                                     "ranks, got 1 (input size on this rank ", shape_str(single.shape()), ")"),
                         sync(single));
    EXPECT_EQ(sync.num_batches_tracked().item(), 0.0);   // a rejected batch is not counted
    // Double backward would need the all-reduce differentiated.
    Tensor x = randn({2, channels, 3, 3}).requires_grad_(true);
    Tensor y = sync(x);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "SyncBatchNorm: double backward (create_graph = true) is not supported: the all-reduced sums "
                         "are not differentiable; use BatchNorm2d for it",
                         grad({sum(y * y)}, {x}, {}, false, true));
}
