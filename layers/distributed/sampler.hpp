// DistributedSampler: which sample indices of a data set each rank reads in an epoch, as
// torch.utils.data.DistributedSampler does: every rank gets a disjoint shard of the same
// length (num_samples()), the shards together cover the data set, and with shuffle the
// order changes every epoch (set_epoch) from a seed all ranks share. When the data set does
// not divide evenly it is padded by repeating its first indices (of the shuffled order), or
// with drop_last the tail is dropped. The permutation is adjoint's own (Fisher-Yates over
// std::mt19937_64, identical on every platform), so it does not match PyTorch's order.
// Needs no MPI: give it the rank and world size (process_group::rank() / size()).
// Not here: loading or batching the samples.
#pragma once
#include <cstdint>
#include <vector>

namespace adjoint::distributed
{
    class DistributedSamplerOptions
    {
    public:
        DistributedSamplerOptions& shuffle(bool on) { m_shuffle = on; return *this; }
        DistributedSamplerOptions& seed(std::uint64_t s) { m_seed = s; return *this; }
        DistributedSamplerOptions& drop_last(bool on) { m_drop_last = on; return *this; }
        bool shuffle() const { return m_shuffle; }
        std::uint64_t seed() const { return m_seed; }
        bool drop_last() const { return m_drop_last; }

    private:
        bool m_shuffle = true;
        std::uint64_t m_seed = 0;
        bool m_drop_last = false;
    };

    class DistributedSampler
    {
    public:
        // dataset_size >= 0, num_replicas >= 1, 0 <= rank < num_replicas (std::invalid_argument).
        DistributedSampler(std::int64_t dataset_size, int num_replicas, int rank,
                           const DistributedSamplerOptions& options = DistributedSamplerOptions());

        // The shuffle of epoch e uses seed + e: call it at the start of every epoch (the same
        // e on every rank), or every epoch sees the same order.
        void set_epoch(std::int64_t epoch) { m_epoch = epoch; }
        std::int64_t epoch() const { return m_epoch; }

        // This rank's indices for the current epoch, num_samples() of them: the rank-th, then
        // every num_replicas-th index of the padded (or truncated) global order.
        std::vector<std::int64_t> indices() const;
        // Per rank: ceil(dataset_size / num_replicas), or floor with drop_last.
        std::int64_t num_samples() const { return m_num_samples; }
        std::int64_t total_size() const { return m_num_samples * m_replicas; }   // over all ranks

    private:
        std::int64_t m_size;
        int m_replicas;
        int m_rank;
        DistributedSamplerOptions m_options;
        std::int64_t m_num_samples;
        std::int64_t m_epoch = 0;
    };
}
