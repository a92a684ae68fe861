// anomaly_overhead: what anomaly mode's switch costs when it is off. Times a chain of small
// ops (forward and backward on 64-element tensors, where per-op overhead dominates) with the
// mode off, and with it on for reference. Compare the "off" figure with the same program
// built against a commit before anomaly mode existed (it compiles there too, without the
// "on" part; docs/reliability.md has the numbers).
//
//   anomaly_overhead [repeats=20000] [--off-only]
// --off-only skips the "on" rounds, so that an instruction count (valgrind --tool=callgrind)
// of the whole program compares with the baseline's: timings on a busy machine are noisy.
#include <adjoint/adjoint.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace adjoint;

namespace
{
    // 12 recorded ops forward, as many backward.
    double one_step(const Tensor& x, const Tensor& w)
    {
        Tensor h = x;
        for (int i = 0; i < 3; ++i)
        {
            h = tanh(h * w + 0.5);
            h = sigmoid(h) - h;
        }
        Tensor loss = sum(h);
        loss.backward();
        return loss.item();
    }

    // Median of 7 timed rounds, in microseconds per step.
    double time_steps(long repeats, const Tensor& x, Tensor w)
    {
        std::vector<double> rounds;
        double sink = 0.0;
        for (int r = 0; r < 7; ++r)
        {
            const auto start = std::chrono::steady_clock::now();
            for (long i = 0; i < repeats; ++i)
            {
                sink += one_step(x, w);
            }
            rounds.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
                             repeats);
            w.zero_grad();
        }
        std::sort(rounds.begin(), rounds.end());
        if (sink == 42.0)
        {
            std::printf(" ");
        }
        return rounds[3];
    }
}

int main(int argc, char** argv)
{
    const long repeats = argc > 1 ? std::atol(argv[1]) : 20000;
    manual_seed(3);
    const Tensor x = randn({64});
    const Tensor w = randn({64}).requires_grad_();
    time_steps(repeats / 10 + 1, x, w);   // warm up
    const double off = time_steps(repeats, x, w);
    std::printf("anomaly_overhead: %ld steps of 13 ops forward + backward, 64 float32 values\n", repeats);
#if __has_include(<adjoint/autograd/anomaly.hpp>)
    if (argc > 2 && std::string(argv[2]) == "--off-only")
    {
        std::printf("  anomaly mode off: %.3f us/step\n", off);
        return 0;
    }
    double on = 0.0;
    {
        detect_anomaly_guard guard;
        on = time_steps(repeats, x, w);
    }
    std::printf("  anomaly mode off: %.3f us/step\n", off);
    std::printf("  anomaly mode on:  %.3f us/step (%+.1f%%)\n", on, 100.0 * (on - off) / off);
#else
    // Built against a library from before anomaly mode: the baseline for the "off" figure.
    std::printf("  without anomaly mode: %.3f us/step\n", off);
#endif
    return 0;
}
