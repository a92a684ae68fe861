// The one way core's kernels run loops on several threads: OpenMP from the compiler, with
// the thread count of core/threads.hpp (set_num_threads sets OpenMP's and BLAS's alike).
// A loop is split into contiguous static chunks; what each index computes never depends on
// the split, so results are the same for every thread count. Internal to core/*.cpp; the
// body must not throw (exceptions cannot leave an OpenMP region).
#pragma once
#include <cstdint>

namespace adjoint::detail
{
    int parallel_threads();   // the count set_num_threads asked for (1 inside a parallel region)
    int thread_index();       // inside parallel_for's body: the chunk's thread, in [0, chunks)

    // Marks a body that parallel_for runs on the calling thread, so that thread_index() is 0
    // there even inside someone else's OpenMP region (whose thread numbers are not chunks).
    struct serial_scope
    {
        serial_scope();
        ~serial_scope();
        serial_scope(const serial_scope&) = delete;
        serial_scope& operator=(const serial_scope&) = delete;
    };

    // body(begin, end) over [0, n) in up to parallel_threads() chunks, chunk c on thread c; on the calling thread
    // alone when n < 2 * grain (too little work to share) or one thread is asked for.
    template <class F>
    void parallel_for(std::int64_t n, std::int64_t grain, F&& body)
    {
        const int threads = parallel_threads();
        if (threads <= 1 || n < 2 * grain)
        {
            if (n > 0)
            {
                const serial_scope serial;
                body(std::int64_t(0), n);
            }
            return;
        }
        const std::int64_t chunks = n / grain < threads ? n / grain : threads;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
        for (std::int64_t c = 0; c < chunks; ++c)
        {
            body(c * n / chunks, (c + 1) * n / chunks);
        }
    }
}
