// The process group's collectives on float32, float64 and int64 at odd sizes (values that
// depend on the rank, so a collective that did nothing cannot pass), their errors, the
// cross-rank metric reductions, is_main_process, and DistributedSampler's shards (checked
// across the ranks by gathering them). Run under mpiexec with 2 or more ranks.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>
#include <adjoint/testing/testing.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using namespace adjoint;
namespace dist = adjoint::distributed;

namespace
{
    const dist::process_group& group()
    {
        static dist::process_group g;
        return g;
    }

    // Element i on rank r: r * 1000 + i (exact in every dtype at these sizes).
    Tensor ramp(std::int64_t n, adjoint::dtype dt, int rank)
    {
        std::vector<double> v(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
        {
            v[static_cast<std::size_t>(i)] = rank * 1000.0 + static_cast<double>(i);
        }
        return Tensor(array::from_values(v, {n}, dt));
    }

    const adjoint::dtype all_dtypes[] = {float32, float64, int64};
    const std::int64_t odd_sizes[] = {1, 7, 1023, 100003};
}

TEST(Collectives, RankAndSize)
{
    EXPECT_GE(group().size(), 2);
    EXPECT_GE(group().rank(), 0);
    EXPECT_LT(group().rank(), group().size());
    EXPECT_EQ(dist::is_main_process(), group().rank() == 0);
    EXPECT_TRUE(dist::mpi_environment::active());
    // Every rank of these tests runs on this one machine.
    EXPECT_EQ(group().local_size(), group().size());
}

TEST(Collectives, AllReduceSumMaxMinOnEveryDtypeAndOddSizes)
{
    const int world = group().size();
    const double rank_sum = world * (world - 1) / 2.0;
    for (auto dt : all_dtypes)
    {
        for (auto n : odd_sizes)
        {
            SCOPED_TRACE(std::string(dtype_name(dt)) + " n=" + std::to_string(n));
            Tensor t = ramp(n, dt, group().rank());
            const std::uint64_t storage = t.data().storage_id();
            group().all_reduce(t, dist::reduce_op::sum);
            EXPECT_EQ(t.data().storage_id(), storage);   // in place, in the tensor's own buffer
            EXPECT_EQ(t.dtype(), dt);
            const auto v = t.to_vector();
            for (std::int64_t i = 0; i < n; i += std::max<std::int64_t>(1, n / 97))
            {
                ASSERT_EQ(v[static_cast<std::size_t>(i)], rank_sum * 1000.0 + world * static_cast<double>(i));
            }
            Tensor hi = ramp(n, dt, group().rank()), lo = ramp(n, dt, group().rank());
            group().all_reduce(hi, dist::reduce_op::max);
            group().all_reduce(lo, dist::reduce_op::min);
            EXPECT_EQ(hi.to_vector()[static_cast<std::size_t>(n - 1)], (world - 1) * 1000.0 + static_cast<double>(n - 1));
            EXPECT_EQ(lo.to_vector()[static_cast<std::size_t>(n - 1)], static_cast<double>(n - 1));
        }
    }
}

TEST(Collectives, AllReduceAverage)
{
    const int world = group().size();
    for (auto dt : {float32, float64})
    {
        Tensor t = ramp(5, dt, group().rank());
        group().all_reduce(t, dist::reduce_op::average);
        EXPECT_TENSOR_NEAR(t, Tensor(array::from_values({0, 1, 2, 3, 4}, {5}, dt)) + (world - 1) * 500.0, 0.0, 1e-7);
    }
    EXPECT_DOUBLE_EQ(group().all_reduce(group().rank() + 1.0, dist::reduce_op::average), (world + 1) / 2.0);
    EXPECT_DOUBLE_EQ(group().all_reduce(1.5), 1.5 * world);
}

TEST(Collectives, AsyncAllReduce)
{
    array a = ramp(4097, float64, group().rank()).data().clone();
    dist::pending_collective work = group().all_reduce_async(a);
    EXPECT_TRUE(work.valid());
    work.wait();
    EXPECT_FALSE(work.valid());
    EXPECT_TRUE(work.test());
    const double rank_sum = group().size() * (group().size() - 1) / 2.0;
    EXPECT_EQ(a.flat(4096), rank_sum * 1000.0 + group().size() * 4096.0);
}

TEST(Collectives, BroadcastFromEveryRootOnEveryDtype)
{
    for (int root = 0; root < group().size(); ++root)
    {
        for (auto dt : all_dtypes)
        {
            for (auto n : {std::int64_t{3}, std::int64_t{65537}})
            {
                Tensor t = ramp(n, dt, group().rank());
                group().broadcast(t, root);
                EXPECT_TENSOR_NEAR(t, ramp(n, dt, root), 0.0, 0.0);
            }
        }
    }
    EXPECT_EQ(group().broadcast_string(group().rank() == 1 ? "from rank one" : "x", 1), "from rank one");
}

TEST(Collectives, AllGatherStacksInRankOrder)
{
    for (auto dt : all_dtypes)
    {
        Tensor t = reshape(ramp(15, dt, group().rank()), {3, 5});
        Tensor all = group().all_gather(t);
        ASSERT_EQ(all.shape(), (shape_t{group().size(), 3, 5}));
        EXPECT_EQ(all.dtype(), dt);
        for (int r = 0; r < group().size(); ++r)
        {
            EXPECT_TENSOR_NEAR(narrow(all, 0, r, 1), reshape(ramp(15, dt, r), {1, 3, 5}), 0.0, 0.0);
        }
    }
    group().barrier();
}

TEST(Collectives, Errors)
{
    Tensor i = ramp(3, int64, 0);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "all_reduce: average needs a floating dtype (an int64 mean would truncate), got int64; reduce "
                         "with sum and divide by size() yourself",
                         group().all_reduce(i, dist::reduce_op::average));
    Tensor p = ones({2}, float64).requires_grad_();
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "all_reduce: writes into the tensor in place, which is not part of any graph; run it under "
                         "no_grad_guard for a tensor that requires grad",
                         group().all_reduce(p));
    {
        const no_grad_guard no_grad;
        group().all_reduce(p);
        EXPECT_TENSOR_NEAR(p, full({2}, group().size(), float64), 0.0, 0.0);
    }
    Tensor undefined;
    EXPECT_THROW_MESSAGE(std::invalid_argument, "broadcast: expected a defined tensor, got an undefined one",
                         group().broadcast(undefined));
    Tensor t = ones({2}, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "broadcast: root must be a rank in [0, " + std::to_string(group().size()) + "), got -1",
                         group().broadcast(t, -1));
    // Rank 0 passes 2 elements, the others 3: detected before any data moves.
    Tensor uneven = ones({group().rank() == 0 ? 2 : 3}, float32);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "all_gather: every rank must pass the same shape, got " + shape_str(uneven.shape()) +
                             " on rank " + std::to_string(group().rank()) + " while ranks pass 2 to 3 elements",
                         group().all_gather(uneven));
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "mpi_environment: MPI can be initialized once per process; create one mpi_environment in "
                         "main and keep it for the program's lifetime",
                         dist::mpi_environment());
}

TEST(DistributedMetrics, ConfusionMatrixCountsAreSummedOverRanks)
{
    // Rank r sees r + 1 pixels of class 1 predicted as 1, and one of class 0 predicted as 1.
    confusion_matrix m(2);
    const std::int64_t n = group().rank() + 2;
    std::vector<double> pred(static_cast<std::size_t>(n), 1.0), target(static_cast<std::size_t>(n), 1.0);
    target[0] = 0.0;
    m.update(Tensor(array::from_values(pred, {n}, int64)), Tensor(array::from_values(target, {n}, int64)));
    dist::all_reduce(group(), m);
    const std::int64_t world = group().size();
    const std::int64_t tp = world * (world + 1) / 2;   // sum of r + 1
    EXPECT_TENSOR_NEAR(m.counts(), Tensor(array::from_values({0, double(world), 0, double(tp)}, {2, 2}, int64)), 0.0,
                       0.0);
    EXPECT_DOUBLE_EQ(m.pixel_accuracy(), double(tp) / double(tp + world));

    const auto loss = dist::all_reduce_sum(group(), 0.5 * (group().rank() + 1), n);
    EXPECT_DOUBLE_EQ(loss.total, 0.5 * tp);
    EXPECT_EQ(loss.count, tp + world);
    EXPECT_DOUBLE_EQ(loss.mean(), 0.5 * tp / double(tp + world));
}

TEST(DistributedSampler, ShardsAreDisjointEqualAndCoverTheDataSet)
{
    const int world = group().size(), rank = group().rank();
    for (std::int64_t size : {std::int64_t{10}, std::int64_t{11}, std::int64_t{1}})
    {
        for (bool drop_last : {false, true})
        {
            SCOPED_TRACE("size " + std::to_string(size) + (drop_last ? " drop_last" : ""));
            dist::DistributedSampler sampler(size, world, rank, dist::DistributedSamplerOptions().seed(7).drop_last(drop_last));
            sampler.set_epoch(3);
            const auto mine = sampler.indices();
            ASSERT_EQ(static_cast<std::int64_t>(mine.size()), sampler.num_samples());
            const std::int64_t expected = drop_last ? size / world : (size + world - 1) / world;
            EXPECT_EQ(sampler.num_samples(), expected);
            if (expected == 0)
            {
                continue;
            }
            // Every rank's shard, gathered: together they are the data set (padded by
            // repeats when it does not divide evenly, or missing the tail with drop_last).
            std::vector<double> as_double(mine.begin(), mine.end());
            const auto all = group().all_gather(Tensor(array::from_values(as_double, {expected}, int64))).to_vector();
            std::multiset<std::int64_t> seen(all.begin(), all.end());
            std::set<std::int64_t> distinct(all.begin(), all.end());
            EXPECT_EQ(static_cast<std::int64_t>(seen.size()), expected * world);
            if (drop_last)
            {
                EXPECT_EQ(distinct.size(), seen.size());   // disjoint
            }
            else
            {
                EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), size);   // covers everything
            }
            for (auto v : all)
            {
                EXPECT_GE(v, 0);
                EXPECT_LT(v, size);
            }
        }
    }
}

TEST(DistributedSampler, ReshufflesPerEpochTheSameWayOnEveryRank)
{
    dist::DistributedSampler a(100, 1, 0), b(100, 1, 0, dist::DistributedSamplerOptions().seed(1));
    const auto epoch0 = a.indices();
    EXPECT_EQ(a.indices(), epoch0);   // deterministic
    a.set_epoch(1);
    EXPECT_NE(a.indices(), epoch0);
    EXPECT_NE(b.indices(), epoch0);   // another seed
    auto sorted = epoch0;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < 100; ++i)
    {
        ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);   // a permutation
    }
    // The same order on every rank: rank 0's full order broadcast and compared.
    Tensor order = Tensor(array::from_values(std::vector<double>(epoch0.begin(), epoch0.end()), {100}, int64));
    Tensor root(order.data().clone());
    group().broadcast(root, 0);
    EXPECT_TENSOR_NEAR(root, order, 0.0, 0.0);
    // Without shuffle: rank r gets r, r + world, ...
    dist::DistributedSampler plain(5, 2, 1, dist::DistributedSamplerOptions().shuffle(false));
    EXPECT_EQ(plain.indices(), (std::vector<std::int64_t>{1, 3, 0}));   // padded with index 0
    EXPECT_THROW_MESSAGE(std::invalid_argument, "DistributedSampler: rank must be in [0, 2), got 2",
                         dist::DistributedSampler(5, 2, 2));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "DistributedSampler: num_replicas must be >= 1, got 0",
                         dist::DistributedSampler(5, 0, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "DistributedSampler: dataset_size must be >= 0, got -1",
                         dist::DistributedSampler(-1, 1, 0));
}
