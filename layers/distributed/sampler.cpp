// DistributedSampler's shard arithmetic and the per-epoch permutation.
#include <adjoint/core/shape.hpp>
#include <adjoint/layers/distributed/sampler.hpp>

#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace adjoint::distributed
{
    namespace
    {
        // A uniform integer in [0, bound) from mt19937_64 by rejection, so the result depends
        // only on the generator's (standardised) output, never on a library's distribution.
        std::uint64_t uniform_below(std::mt19937_64& gen, std::uint64_t bound)
        {
            const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                        std::numeric_limits<std::uint64_t>::max() % bound;
            std::uint64_t x = gen();
            while (x >= limit)
            {
                x = gen();
            }
            return x % bound;
        }
    }

    DistributedSampler::DistributedSampler(std::int64_t dataset_size, int num_replicas, int rank,
                                           const DistributedSamplerOptions& options)
        : m_size(dataset_size), m_replicas(num_replicas), m_rank(rank), m_options(options)
    {
        const char* op = "DistributedSampler";
        if (dataset_size < 0)
        {
            throw std::invalid_argument(detail::str(op, ": dataset_size must be >= 0, got ", dataset_size));
        }
        if (num_replicas < 1)
        {
            throw std::invalid_argument(detail::str(op, ": num_replicas must be >= 1, got ", num_replicas));
        }
        if (rank < 0 || rank >= num_replicas)
        {
            throw std::invalid_argument(detail::str(op, ": rank must be in [0, ", num_replicas, "), got ", rank));
        }
        m_num_samples = options.drop_last() ? dataset_size / num_replicas
                                            : (dataset_size + num_replicas - 1) / num_replicas;
    }

    std::vector<std::int64_t> DistributedSampler::indices() const
    {
        std::vector<std::int64_t> order(static_cast<std::size_t>(m_size));
        std::iota(order.begin(), order.end(), std::int64_t{0});
        if (m_options.shuffle())
        {
            std::mt19937_64 gen(m_options.seed() + static_cast<std::uint64_t>(m_epoch));
            for (std::size_t i = order.size(); i > 1; --i)
            {
                std::swap(order[i - 1], order[uniform_below(gen, i)]);
            }
        }
        // Pad by repeating the order from its start (as often as needed for a tiny data
        // set), or cut the tail: either way total_size() indices.
        const auto total = static_cast<std::size_t>(total_size());
        std::vector<std::int64_t> global;
        global.reserve(total);
        for (std::size_t i = 0; i < total && !order.empty(); ++i)
        {
            global.push_back(order[i % order.size()]);
        }
        std::vector<std::int64_t> mine;
        mine.reserve(static_cast<std::size_t>(m_num_samples));
        for (std::size_t i = static_cast<std::size_t>(m_rank); i < global.size(); i += static_cast<std::size_t>(m_replicas))
        {
            mine.push_back(global[i]);
        }
        return mine;
    }
}
