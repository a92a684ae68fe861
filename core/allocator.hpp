// The caching allocator behind every array's buffer: freed buffers are kept, by size class,
// and handed out again to the next request of that class, so that a training loop which
// frees and re-allocates the same sizes every step stops paying the OS for fresh pages
// (page faults were ~40% of a TinySeg step with glibc's defaults). Buffers are 64-byte
// aligned. Thread-safe. It does not pool anything but array storage (not the graph's nodes,
// not std::vector scratch), and it does not hand back memory to other size classes: a
// cached block is either reused whole or released to the OS.
//
// Size classes: multiples of 64 bytes up to 4 KiB, then four per power of two (2^k, 1.25,
// 1.5, 1.75 x 2^k: at most 25% rounding, and the rounding beyond the last touched page never
// becomes resident). A request takes a cached block of its class or, failing that, of the
// next classes up to twice its size, before going to the OS.
//
// Bound: the cache never holds more than cache_limit() bytes (beyond it, frees go straight
// to the OS). Peak memory of a training run stays at or below plain malloc's (measured in
// docs/benchmarks.md): the cache only holds what the step itself needed at some point.
#pragma once
#include <cstddef>
#include <cstdint>

namespace adjoint
{
    struct allocator_stats_t
    {
        std::size_t bytes_in_use = 0;        // size-class bytes of live buffers
        std::size_t bytes_requested = 0;     // the bytes those buffers were asked for
        std::size_t bytes_cached = 0;        // freed, kept for reuse
        std::size_t peak_bytes_in_use = 0;   // high-water mark of bytes_in_use
        std::size_t cache_limit = 0;
        std::uint64_t hits = 0;              // requests served from the cache
        std::uint64_t misses = 0;            // requests that went to the OS
        std::uint64_t releases = 0;          // cached blocks given back to the OS
    };

    allocator_stats_t allocator_stats();

    // Releases every cached block to the OS (live buffers are untouched).
    void empty_cache();

    // The most bytes the cache may hold; 0 disables caching (every free goes to the OS).
    // The default is 1 GiB or an eighth of physical memory, whichever is smaller; the
    // environment variable ADJOINT_CACHE_LIMIT_MB overrides it at start-up.
    void set_cache_limit(std::size_t bytes);
    std::size_t cache_limit();

    // Resets hits, misses, releases and the peak (to the bytes in use now).
    void reset_allocator_counters();

    namespace detail
    {
        // `bytes` rounded up to its size class; nullptr when the OS refuses (no throw).
        // `capacity` receives the class size, to be passed back to deallocate.
        void* allocate_buffer(std::size_t bytes, std::size_t& capacity);
        void deallocate_buffer(void* p, std::size_t capacity, std::size_t requested);
    }
}
