// conv_bench: times adjoint in float32 on a fixed list of cases — single conv2d /
// conv_transpose2d layers (forward, and forward + backward) and whole models (TinySeg and a
// small encoder-decoder: a training step with Adam, and the inference forward; see
// models.hpp) — and prints one JSON line per case. It also measures the machine's FMA peak
// (--peak) and the 1-to-N-thread speed-up of a case inside one process (--paired). It
// compares nothing and asserts nothing: bench/run.py reads the case list from
// `conv_bench --list`, runs the same cases with PyTorch and prints the comparison.
// The case list is bench_cases.hpp, the clocks and run rules bench_timing.hpp, the machine
// readings bench_machine.hpp; this file builds the layer cases and runs the modes.
// Usage: conv_bench --help
#include "bench_cases.hpp"
#include "bench_machine.hpp"
#include "bench_timing.hpp"
#include "models.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/core/threads.hpp>
#if __has_include(<adjoint/core/allocator.hpp>)
#include <adjoint/core/allocator.hpp>
#define BENCH_HAS_ALLOCATOR 1
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace adjoint;
using namespace bench;

namespace
{
    // The case's parameters and inputs, made once; forward() records a graph as training does.
    struct network
    {
        const case_spec& spec;
        std::vector<Tensor> weights, biases;
        Tensor x, gy;

        explicit network(const case_spec& s) : spec(s)
        {
            for (const layer_spec& l : s.layers)
            {
                const shape_t wshape = l.transpose ? shape_t{l.in, l.out / l.groups, l.kernel, l.kernel}
                                                   : shape_t{l.out, l.in / l.groups, l.kernel, l.kernel};
                // nn.Conv2d's bound keeps activations O(1) through the chain (no denormals, no overflow).
                const double fan_in = static_cast<double>((l.transpose ? l.out : l.in) / l.groups * l.kernel * l.kernel);
                const double bound = 1.0 / std::sqrt(fan_in);
                weights.push_back(uniform(wshape, -bound, bound).requires_grad_());
                biases.push_back(uniform({l.out}, -bound, bound).requires_grad_());
            }
            x = randn({s.n, s.c, s.h, s.w});
            if (s.input_grad)
            {
                x.requires_grad_();
            }
            no_grad_guard no_grad;
            gy = randn(forward().shape());
        }

        Tensor forward() const
        {
            Tensor h = x;
            for (std::size_t i = 0; i < spec.layers.size(); ++i)
            {
                const layer_spec& l = spec.layers[i];
                if (i > 0)
                {
                    h = relu(h);
                }
                h = l.transpose ? conv_transpose2d(h, weights[i], biases[i],
                                                   conv_transpose2d_options()
                                                       .stride(l.stride)
                                                       .padding(l.padding)
                                                       .output_padding(l.output_padding)
                                                       .groups(l.groups))
                                : conv2d(h, weights[i], biases[i],
                                         conv2d_options().stride(l.stride).padding(l.padding).groups(l.groups));
            }
            return h;
        }

        void step() const { forward().backward(gy); }

        void zero_grad()
        {
            for (Tensor& t : weights)
            {
                t.zero_grad();
            }
            for (Tensor& t : biases)
            {
                t.zero_grad();
            }
            x.zero_grad();
        }
    };

    std::string list_json(const std::vector<double>& v)
    {
        std::ostringstream out;
        out.precision(6);
        out << '[';
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            out << (i ? "," : "") << v[i];
        }
        out << ']';
        return out.str();
    }

    struct options
    {
        int threads = 1, warmup = 3, reps = 20;
        double budget_ms = 1500, warmup_ms = 250;
        bool list = false, about = false, memory = false, peak = false, paired = false;
        std::vector<std::string> only;
    };

    const char* usage =
        "usage: conv_bench [--threads N] [--warmup W] [--warmup-ms M] [--reps R] [--budget-ms B] [--case NAME]...\n"
        "                  [--memory] [--peak] [--paired] [--list] [--about]\n"
        "  default: time every case (untimed runs until W runs and M ms, default 3 and 250, then R\n"
        "           timed runs of forward, then of forward+backward or the training step; fewer runs\n"
        "           where R would take more than B ms, default 1500),\n"
        "           one JSON line per case on stdout, progress on stderr\n"
        "  --memory  per layer case: RSS growth over one forward+backward after warm-up; per model\n"
        "            case: peak RSS growth over building it and 5 training steps, and what stays\n"
        "  --peak    the float32 FMA peak of 1 and N threads (register-only loop), GFLOP/s\n"
        "  --paired  the speed-up from 1 to N threads in one process: each timed pair is one\n"
        "            forward+backward (training step) at 1 thread and one at N, back to back\n"
        "            (order alternating), so both see the same state of the machine\n"
        "  --list    print the cases as JSON lines;  --about  compiler and OpenBLAS build\n";

    options parse(int argc, char** argv)
    {
        options o;
        for (int i = 1; i < argc; ++i)
        {
            const std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc)
                {
                    throw std::invalid_argument("conv_bench: " + a + " needs a value");
                }
                return argv[++i];
            };
            if (a == "--threads") o.threads = std::stoi(value());
            else if (a == "--warmup") o.warmup = std::stoi(value());
            else if (a == "--warmup-ms") o.warmup_ms = std::stod(value());
            else if (a == "--reps") o.reps = std::stoi(value());
            else if (a == "--case") o.only.push_back(value());
            else if (a == "--budget-ms") o.budget_ms = std::stod(value());
            else if (a == "--memory") o.memory = true;
            else if (a == "--paired") o.paired = true;
            else if (a == "--peak") o.peak = true;
            else if (a == "--list") o.list = true;
            else if (a == "--about") o.about = true;
            else if (a == "--help" || a == "-h")
            {
                std::fputs(usage, stdout);
                std::exit(0);
            }
            else
            {
                throw std::invalid_argument("conv_bench: unknown argument " + a + "\n" + usage);
            }
        }
        if (o.threads < 1 || o.warmup < 0 || o.reps < 1 || !(o.warmup_ms >= 0))
        {
            throw std::invalid_argument("conv_bench: need --threads >= 1, --warmup >= 0, --warmup-ms >= 0, --reps >= 1");
        }
        return o;
    }

}

int main(int argc, char** argv)
{
    try
    {
        const options opt = parse(argc, argv);
        if (opt.about)
        {
            print_about();
            return 0;
        }
        std::vector<case_spec> selected;
        for (const case_spec& c : cases())
        {
            if (opt.only.empty() || std::find(opt.only.begin(), opt.only.end(), c.name) != opt.only.end())
            {
                selected.push_back(c);
            }
        }
        if (selected.empty())
        {
            throw std::invalid_argument("conv_bench: no case matches the --case names");
        }
        if (opt.list)
        {
            for (const case_spec& c : selected)
            {
                std::printf("%s\n", case_json(c).c_str());
            }
            return 0;
        }

        if (opt.peak)
        {
            const bool avx512 = __builtin_cpu_supports("avx512f");
            std::printf("{\"mode\":\"peak\",\"isa\":\"%s\",\"gflops_1\":%.1f,\"threads\":%d,\"gflops_n\":%.1f}\n",
                        avx512 ? "avx512" : "avx2", fma_peak_gflops(1, avx512), opt.threads,
                        fma_peak_gflops(opt.threads, avx512));
            return 0;
        }

        // Set here rather than through the environment, so that the figure is what the
        // library itself can ask for (see core/threads.hpp).
        adjoint::set_num_threads(opt.threads);
        manual_seed(0);
        // Progress counts the warm-up runs (up to --warmup) and the timed ones.
        const std::int64_t warmups = std::max(opt.warmup, 1);
        const std::int64_t runs_per_case = opt.memory ? 3 : opt.paired ? 2 * warmups + opt.reps : 2 * (warmups + opt.reps);
        progress bar("adjoint t=" + std::to_string(opt.threads) + (opt.memory ? " memory" : ""),
                     runs_per_case * static_cast<std::int64_t>(selected.size()));
        for (const case_spec& c : selected)
        {
            if (opt.paired)
            {
                paired_timing p;
                if (!c.model.empty())
                {
                    bench::model m(c.model, c.n, c.h);
                    p = time_paired(opt.threads, opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms, [] {},
                                    [&] { m.train_step(); }, bar, c.name + " paired");
                }
                else
                {
                    network net(c);
                    p = time_paired(opt.threads, opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms,
                                    [&] { net.zero_grad(); }, [&] { net.step(); }, bar, c.name + " paired");
                }
                bar.case_done(c.name);
                std::vector<double> speedup;
                for (std::size_t i = 0; i < p.ms_1.size(); ++i)
                {
                    speedup.push_back(p.ms_1[i] / p.ms_n[i]);
                }
                std::printf("{\"framework\":\"adjoint\",\"mode\":\"paired\",\"case\":\"%s\",\"threads\":%d,"
                            "\"fwdbwd_ms_1\":%s,\"fwdbwd_ms_n\":%s,\"speedup\":%s}\n",
                            c.name.c_str(), opt.threads, list_json(p.ms_1).c_str(), list_json(p.ms_n).c_str(),
                            list_json(speedup).c_str());
                std::fflush(stdout);
                continue;
            }
            if (!c.model.empty() && opt.memory)
            {
                // A training run from scratch: what building the model and 5 steps add at peak,
                // and what is still held afterwards (parameters, Adam state, cached buffers).
                const long rss_before = status_kb("VmRSS");
                const bool reset = reset_peak_rss();
                {
                    bench::model m(c.model, c.n, c.h);
                    for (int i = 0; i < 5; ++i)
                    {
                        m.train_step();
                    }
                    bar.advance(c.name);
                }
                const long peak = status_kb("VmHWM"), after = status_kb("VmRSS");
                std::printf("{\"framework\":\"adjoint\",\"mode\":\"memory\",\"case\":\"%s\",\"threads\":%d,"
                            "\"rss_before_kb\":%ld,\"step_peak_extra_kb\":%ld,\"rss_after_extra_kb\":%ld}\n",
                            c.name.c_str(), opt.threads, rss_before, reset ? peak - rss_before : -1L,
                            after - rss_before);
                std::fflush(stdout);
                continue;
            }
            if (!c.model.empty())
            {
                bench::model m(c.model, c.n, c.h);
#ifdef BENCH_HAS_ALLOCATOR
                adjoint::reset_allocator_counters();
#endif
                const timing fwd = time_runs(opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms, [] {}, [&] { m.infer(); }, bar,
                                             c.name + " infer");
                const timing both = time_runs(opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms, [] {}, [&] { m.train_step(); },
                                              bar, c.name + " train");
                bar.case_done(c.name);
                std::string alloc = "";
#ifdef BENCH_HAS_ALLOCATOR
                const adjoint::allocator_stats_t st = adjoint::allocator_stats();
                alloc = ",\"alloc_hits\":" + std::to_string(st.hits) + ",\"alloc_misses\":" + std::to_string(st.misses) +
                        ",\"alloc_peak_mib\":" + std::to_string(st.peak_bytes_in_use / 1048576.0) +
                        ",\"alloc_cached_mib\":" + std::to_string(st.bytes_cached / 1048576.0) +
                        ",\"alloc_releases\":" + std::to_string(st.releases);
#endif
                std::printf("{\"framework\":\"adjoint\",\"mode\":\"time\",\"case\":\"%s\",\"threads\":%d,"
                            "\"blas_threads\":%d,\"fwd_ms\":%s,\"fwdbwd_ms\":%s,\"fwd_cpu_per_wall\":%.3f,"
                            "\"fwdbwd_cpu_per_wall\":%.3f%s}\n",
                            c.name.c_str(), opt.threads, adjoint::get_num_threads(), list_json(fwd.ms).c_str(),
                            list_json(both.ms).c_str(), fwd.cpu_per_wall, both.cpu_per_wall, alloc.c_str());
                std::fflush(stdout);
                continue;
            }
            network net(c);
            if (opt.memory)
            {
                for (int i = 0; i < 2; ++i)   // BLAS buffers and first-touch costs stay out
                {
                    net.zero_grad();
                    net.step();
                    bar.advance(c.name);
                }
                net.zero_grad();
                const long rss_before = status_kb("VmRSS");
                const bool reset = reset_peak_rss();
                net.step();
                const long peak = status_kb("VmHWM");
                bar.advance(c.name);
                bar.case_done(c.name);
                std::printf("{\"framework\":\"adjoint\",\"mode\":\"memory\",\"case\":\"%s\",\"threads\":%d,"
                            "\"rss_before_kb\":%ld,\"step_peak_extra_kb\":%ld}\n",
                            c.name.c_str(), opt.threads, rss_before, reset ? peak - rss_before : -1L);
                std::fflush(stdout);
                continue;
            }
            const timing fwd = time_runs(opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms, [&] { net.zero_grad(); },
                                         [&] { net.forward(); }, bar, c.name + " fwd");
            const timing both = time_runs(opt.warmup, opt.warmup_ms, opt.reps, opt.budget_ms, [&] { net.zero_grad(); },
                                          [&] { net.step(); }, bar, c.name + " fwd+bwd");
            bar.case_done(c.name);
            std::printf("{\"framework\":\"adjoint\",\"mode\":\"time\",\"case\":\"%s\",\"threads\":%d,\"blas_threads\":%d,"
                        "\"fwd_ms\":%s,\"fwdbwd_ms\":%s,\"fwd_cpu_per_wall\":%.3f,\"fwdbwd_cpu_per_wall\":%.3f}\n",
                        c.name.c_str(), opt.threads, adjoint::get_num_threads(), list_json(fwd.ms).c_str(),
                        list_json(both.ms).c_str(), fwd.cpu_per_wall, both.cpu_per_wall);
            std::fflush(stdout);
        }
        return 0;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
