// soak: a long training run of TinySeg (the segmentation example's model, layer for layer:
// examples/ sit above bench/, so it is written out here), sampling resident memory and
// checking that every step frees its whole graph. Not part of the test run: `bash scripts/dev.sh soak [steps]`
// (docs/reliability.md). It measures; it does not judge accuracy.
//
//   soak [steps=10000] [warm_up=steps/5]
// Prints one line per tenth of the run (the RSS trend) and a summary; exits 1 if live graph nodes did not
// return to their starting count after some step, or if RSS grew by 1% or more after warm-up.
#include "models.hpp"

#include <adjoint/adjoint.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace adjoint;

namespace
{
    long resident_bytes()
    {
        std::ifstream statm("/proc/self/statm");
        long total_pages = 0, resident_pages = 0;
        statm >> total_pages >> resident_pages;
        return resident_pages * sysconf(_SC_PAGESIZE);
    }
}

int main(int argc, char** argv)
{
    const long steps = argc > 1 ? std::atol(argv[1]) : 10000;
    // The allocator settles in the first thousand or two steps (glibc adjusts its thresholds
    // as blocks come and go): one step of ~0.1 MB, then flat. A fifth of the run covers it.
    const long warm_up = argc > 2 ? std::atol(argv[2]) : (steps / 5 > 0 ? steps / 5 : 1);
    if (steps < 2 || warm_up < 1 || warm_up >= steps)
    {
        std::fprintf(stderr, "usage: soak [steps >= 2] [1 <= warm_up < steps]\n");
        return 2;
    }
    manual_seed(11);
    auto model = bench::sequential("tinyseg");
    optim::Adam optimizer(model->parameters(), optim::AdamOptions(1e-3));
    // A fixed batch: blobs where the input is bright, so the loss has something to learn.
    const Tensor x = rand({4, 3, 32, 32});
    const Tensor target = (narrow(x, 1, 0, 1) > 0.6).to(float32);

    const std::int64_t nodes_at_start = Node::live_count();
    long rss_after_warm_up = 0, rss_peak = 0, leaked_steps = 0;
    double first_loss = 0.0, loss_value = 0.0;
    const auto start = std::chrono::steady_clock::now();
    for (long step = 1; step <= steps; ++step)
    {
        optimizer.zero_grad();
        {
            const Tensor loss = binary_cross_entropy_with_logits(model->forward(x), target);
            loss.backward();
            loss_value = loss.item();
        }
        optimizer.step();
        if (Node::live_count() != nodes_at_start)
        {
            if (leaked_steps++ < 5)
            {
                std::printf("step %ld: %lld live graph nodes, %lld at the start\n", step,
                            static_cast<long long>(Node::live_count()), static_cast<long long>(nodes_at_start));
            }
        }
        if (step == 1)
        {
            first_loss = loss_value;
        }
        const long rss = resident_bytes();
        if (step == warm_up)
        {
            rss_after_warm_up = rss;
        }
        if (step > warm_up && rss > rss_peak)
        {
            rss_peak = rss;
        }
        if (step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
        {
            std::printf("step %6ld  loss %.5f  rss %.2f MB  live nodes %lld\n", step, loss_value, rss / 1048576.0,
                        static_cast<long long>(Node::live_count()));
            std::fflush(stdout);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss_end = resident_bytes();
    const double growth = 100.0 * static_cast<double>(rss_end - rss_after_warm_up) / rss_after_warm_up;
    const double peak_growth = 100.0 * static_cast<double>(rss_peak - rss_after_warm_up) / rss_after_warm_up;
    std::printf("soak: %ld steps in %.1f s (%.2f ms/step); loss %.5f -> %.5f\n", steps, seconds,
                1000.0 * seconds / steps, first_loss, loss_value);
    std::printf("soak: rss after %ld warm-up steps %.2f MB, at the end %.2f MB (growth %+.3f%%, peak %+.3f%%)\n",
                warm_up, rss_after_warm_up / 1048576.0, rss_end / 1048576.0, growth, peak_growth);
    std::printf("soak: steps whose graph was not fully freed: %ld\n", leaked_steps);
    return leaked_steps == 0 && growth < 1.0 ? 0 : 1;
}
