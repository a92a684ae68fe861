// The caching allocator (see allocator.hpp): one mutex-guarded table of free lists keyed by
// size class, over posix_memalign / free.
#include <adjoint/core/allocator.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace adjoint
{
    namespace
    {
        constexpr std::size_t alignment = 64;
        constexpr std::size_t small_limit = 4096;
        // Larger requests cannot be rounded without overflow; the OS refuses them anyway.
        constexpr std::size_t largest_class = std::size_t(1) << 62;

        // The class a request of `bytes` is served from (see allocator.hpp); 0 bytes take the
        // smallest class so that every buffer has a distinct, aligned address.
        std::size_t size_class(std::size_t bytes)
        {
            if (bytes <= small_limit)
            {
                return bytes == 0 ? alignment : (bytes + alignment - 1) / alignment * alignment;
            }
            std::size_t octave = small_limit;
            while (octave * 2 < bytes)
            {
                octave *= 2;
            }
            // bytes in (octave, 2 * octave]: the first of octave * {1.25, 1.5, 1.75, 2} that holds it.
            const std::size_t quarter = octave / 4;
            return octave + (bytes - octave + quarter - 1) / quarter * quarter;
        }

        std::size_t default_limit()
        {
            if (const char* mb = std::getenv("ADJOINT_CACHE_LIMIT_MB"))
            {
                return static_cast<std::size_t>(std::strtoull(mb, nullptr, 10)) << 20;
            }
            const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
            const std::size_t gib = std::size_t(1) << 30;
            if (pages <= 0 || page <= 0)
            {
                return gib;
            }
            const std::size_t eighth = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 8;
            return eighth < gib ? eighth : gib;
        }

        struct pool
        {
            std::mutex mutex;
            std::map<std::size_t, std::vector<void*>> free;   // size class -> cached blocks
            allocator_stats_t stats;

            pool() { stats.cache_limit = default_limit(); }

            // Gives cached blocks back to the OS, largest first, until bytes_cached <= target.
            // Caller holds the mutex.
            void release_until(std::size_t target)
            {
                for (auto it = free.rbegin(); it != free.rend() && stats.bytes_cached > target;)
                {
                    std::vector<void*>& blocks = it->second;
                    while (!blocks.empty() && stats.bytes_cached > target)
                    {
                        std::free(blocks.back());
                        blocks.pop_back();
                        stats.bytes_cached -= it->first;
                        ++stats.releases;
                    }
                    ++it;
                }
            }
        };

        // Never destroyed: buffers held by static tensors are freed after main returns.
        pool& the_pool()
        {
            static pool* p = new pool();
            return *p;
        }
    }

    namespace detail
    {
        void* allocate_buffer(std::size_t bytes, std::size_t& capacity)
        {
            if (bytes > largest_class)
            {
                return nullptr;
            }
            capacity = size_class(bytes);
            pool& p = the_pool();
            std::lock_guard<std::mutex> lock(p.mutex);
            // The smallest cached block of this class or of a larger one up to twice its size.
            // Reusing a neighbouring class's block rather than allocating beside it is what
            // keeps the pool's footprint at or below glibc's: a training step's buffers come
            // in a few sizes whose counts peak at different times (TinySeg: peak RSS growth
            // 38.0 MiB against 40.2 with exact classes only, and 39.0 with plain malloc).
            void* block = nullptr;
            auto it = p.free.lower_bound(capacity);
            while (it != p.free.end() && it->second.empty() && it->first <= 2 * capacity)
            {
                ++it;
            }
            if (it != p.free.end() && !it->second.empty() && it->first <= 2 * capacity)
            {
                capacity = it->first;
                block = it->second.back();
                it->second.pop_back();
                p.stats.bytes_cached -= capacity;
                ++p.stats.hits;
            }
            else
            {
                // Releasing cached blocks of other classes here to bound the footprint was
                // measured worse: the freed memory stays in glibc's heap, fragmented, and the
                // released blocks are missed again later in the step.
                if (posix_memalign(&block, alignment, capacity) != 0)
                {
                    p.release_until(0);   // everything cached back, then one more try
                    if (posix_memalign(&block, alignment, capacity) != 0)
                    {
                        return nullptr;
                    }
                }
                ++p.stats.misses;
            }
            p.stats.bytes_in_use += capacity;
            p.stats.bytes_requested += bytes;
            p.stats.peak_bytes_in_use = std::max(p.stats.peak_bytes_in_use, p.stats.bytes_in_use);
            return block;
        }

        void deallocate_buffer(void* block, std::size_t capacity, std::size_t requested)
        {
            if (block == nullptr)
            {
                return;
            }
            pool& p = the_pool();
            std::lock_guard<std::mutex> lock(p.mutex);
            p.stats.bytes_in_use -= capacity;
            p.stats.bytes_requested -= requested;
            if (p.stats.bytes_cached + capacity > p.stats.cache_limit)
            {
                p.release_until(p.stats.cache_limit > capacity ? p.stats.cache_limit - capacity : 0);
            }
            if (p.stats.bytes_cached + capacity > p.stats.cache_limit)
            {
                std::free(block);
                ++p.stats.releases;
                return;
            }
            p.free[capacity].push_back(block);
            p.stats.bytes_cached += capacity;
        }
    }

    allocator_stats_t allocator_stats()
    {
        pool& p = the_pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        return p.stats;
    }

    void empty_cache()
    {
        pool& p = the_pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        p.release_until(0);
    }

    void set_cache_limit(std::size_t bytes)
    {
        pool& p = the_pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        p.stats.cache_limit = bytes;
        p.release_until(bytes);
    }

    std::size_t cache_limit()
    {
        pool& p = the_pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        return p.stats.cache_limit;
    }

    void reset_allocator_counters()
    {
        pool& p = the_pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        p.stats.hits = p.stats.misses = p.stats.releases = 0;
        p.stats.peak_bytes_in_use = p.stats.bytes_in_use;
    }
}
