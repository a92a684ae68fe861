// conv_bench: times adjoint in float32 on a fixed list of cases — single conv2d /
// conv_transpose2d layers (forward, and forward + backward) and whole models (TinySeg and a
// small encoder-decoder: a training step with Adam, and the inference forward; see
// models.hpp) — and prints one JSON line per case. It also measures the machine's FMA peak
// (--peak) and the 1-to-N-thread speed-up of a case inside one process (--paired). It
// compares nothing and asserts nothing: bench/run.py reads the case list from
// `conv_bench --list`, runs the same cases with PyTorch and prints the comparison.
// Usage: conv_bench --help
#include <adjoint/adjoint.hpp>
#include <adjoint/core/conv_dnnl.hpp>   // algorithm_of: which oneDNN kernels a layer case runs
#include <adjoint/core/threads.hpp>
#if __has_include(<adjoint/core/allocator.hpp>)
#include <adjoint/core/allocator.hpp>
#define BENCH_HAS_ALLOCATOR 1
#endif

#include "models.hpp"

#include <immintrin.h>

#include <cblas.h>   // only for OpenBLAS's own config / core name in --about
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace adjoint;

namespace
{
    // One convolution layer. Weight shapes follow PyTorch: conv [out, in/groups, k, k],
    // transposed [in, out/groups, k, k]; every layer has a bias, as nn.Conv2d does by default.
    struct layer_spec
    {
        bool transpose;
        std::int64_t in, out, kernel, stride, padding, output_padding, groups;
    };

    layer_spec conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                    std::int64_t groups = 1)
    {
        return {false, in, out, k, s, p, 0, groups};
    }

    layer_spec conv_t(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                      std::int64_t op)
    {
        return {true, in, out, k, s, p, op, 1};
    }

    // A case is either a chain of layers with relu between them (a single layer has none),
    // run on a random input [n, c, h, w] with a fixed random output gradient, or a model of
    // models.hpp (`model` set) at batch n and h x w images. input_grad says whether the
    // chain's input needs a gradient: true for a layer inside a network, false where the
    // input is data (a stem).
    struct case_spec
    {
        std::string name, what;
        std::int64_t n, c, h, w;
        bool input_grad;
        std::vector<layer_spec> layers;
        std::string model;
    };

    case_spec model_case(const std::string& model, std::int64_t n, std::int64_t size)
    {
        const std::string name = model + "_b" + std::to_string(n) + "_s" + std::to_string(size);
        const std::string what = (model == "tinyseg" ? std::string("TinySeg") : std::string("small enc-dec")) +
                                 " batch " + std::to_string(n) + ", " + std::to_string(size) + "x" +
                                 std::to_string(size) + ": fwd = inference forward, f+b = training step with Adam";
        return {name, what, n, bench::model_layers(model).front().in, size, size, false, {}, model};
    }

    std::vector<case_spec> cases()
    {
        std::vector<case_spec> out = {
            {"C1", "conv 3->16 3x3 s1 p1, 16x3x64x64 (input is data)", 16, 3, 64, 64, false, {conv(3, 16, 3, 1, 1)}, ""},
            {"C2", "conv 16->32 3x3 s2 p1, 16x16x64x64", 16, 16, 64, 64, true, {conv(16, 32, 3, 2, 1)}, ""},
            {"C3", "conv 32->64 3x3 s2 p1, 16x32x32x32", 16, 32, 32, 32, true, {conv(32, 64, 3, 2, 1)}, ""},
            {"T1", "conv_transpose 64->32 4x4 s2 p1, 16x64x16x16", 16, 64, 16, 16, true, {conv_t(64, 32, 4, 2, 1, 0)}, ""},
            {"T2", "conv_transpose 32->16 4x4 s2 p1, 16x32x32x32", 16, 32, 32, 32, true, {conv_t(32, 16, 4, 2, 1, 0)}, ""},
            {"B1", "conv 64->64 3x3 s1 p1, 8x64x128x128", 8, 64, 128, 128, true, {conv(64, 64, 3, 1, 1)}, ""},
            {"B2", "conv_transpose 64->64 4x4 s2 p1, 8x64x64x64", 8, 64, 64, 64, true, {conv_t(64, 64, 4, 2, 1, 0)}, ""},
            // Not one of the rows: a U-Net's 3x3 stride-1 block at 32 channels, the
            // kind of layer that runs oneDNN's Winograd kernels (core/conv_dnnl.cpp).
            {"U1", "conv 32->32 3x3 s1 p1, 16x32x64x64 (a U-Net block)", 16, 32, 64, 64, true, {conv(32, 32, 3, 1, 1)}, ""},
        };
        out.push_back(model_case("tinyseg", 16, 64));
        for (std::int64_t n : {1, 4, 64})
        {
            out.push_back(model_case("tinyseg", n, 64));
        }
        for (std::int64_t s : {32, 128})
        {
            out.push_back(model_case("tinyseg", 16, s));
        }
        out.push_back(model_case("small", 16, 32));
        return out;
    }

    // Multiply-adds of one forward of the case (FLOPs = 2 x MACs).
    double case_macs(const case_spec& c)
    {
        if (!c.model.empty())
        {
            return bench::model_macs(c.model, c.n, c.h);
        }
        double macs = 0;
        std::int64_t h = c.h, w = c.w;
        for (const layer_spec& l : c.layers)
        {
            const auto out_size = [&](std::int64_t s) {
                return l.transpose ? (s - 1) * l.stride - 2 * l.padding + l.kernel + l.output_padding
                                   : (s + 2 * l.padding - l.kernel) / l.stride + 1;
            };
            const std::int64_t ho = out_size(h), wo = out_size(w);
            const double positions = l.transpose ? static_cast<double>(h * w) : static_cast<double>(ho * wo);
            macs += static_cast<double>(c.n) * positions * l.in * (l.out / l.groups) * l.kernel * l.kernel;
            h = ho;
            w = wo;
        }
        return macs;
    }

    // Per layer of a case (a model's too), which of oneDNN's algorithms runs it ("winograd", "direct",
    // or "none" where im2col + GEMM does), so a table can say what it measured.
    std::vector<std::string> layer_algorithms(const case_spec& c)
    {
        std::vector<layer_spec> layers = c.layers;
        if (!c.model.empty())
        {
            for (const bench::model_layer& m : bench::model_layers(c.model))
            {
                layers.push_back({m.transpose, m.in, m.out, m.kernel, m.stride, m.padding, 0, 1});
            }
        }
        std::vector<std::string> out;
        shape_t x{c.n, c.c, c.h, c.w};
        for (const layer_spec& l : layers)
        {
            const pair_t s{l.stride, l.stride}, p{l.padding, l.padding};
            const conv_geometry g =
                l.transpose
                    ? conv_transpose2d_geometry(x, {l.in, l.out / l.groups, l.kernel, l.kernel}, std::nullopt,
                                                {s, p, {l.output_padding, l.output_padding}, {1, 1}, l.groups, std::nullopt})
                    : conv2d_geometry(x, {l.out, l.in / l.groups, l.kernel, l.kernel}, std::nullopt,
                                      {s, p, {1, 1}, l.groups, false});
            out.push_back(adjoint::kernels::conv_detail::algorithm_of(g));
            x = l.transpose ? shape_t{g.n, g.c_in, g.h, g.w} : g.output_shape();
        }
        return out;
    }

    std::string case_json(const case_spec& c)
    {
        const std::vector<std::string> algorithms = layer_algorithms(c);
        std::ostringstream out;
        out << "{\"name\":\"" << c.name << "\",\"what\":\"" << c.what << "\",\"model\":\"" << c.model
            << "\",\"fwd_flop\":" << 2 * case_macs(c) << ",\"input\":[" << c.n << ',' << c.c << ','
            << c.h << ',' << c.w << "],\"input_grad\":" << (c.input_grad ? "true" : "false") << ",\"layers\":[";
        for (std::size_t i = 0; i < c.layers.size(); ++i)
        {
            const layer_spec& l = c.layers[i];
            out << (i ? "," : "") << "{\"op\":\"" << (l.transpose ? "conv_transpose2d" : "conv2d") << "\",\"in\":" << l.in
                << ",\"out\":" << l.out << ",\"kernel\":" << l.kernel << ",\"stride\":" << l.stride
                << ",\"padding\":" << l.padding << ",\"output_padding\":" << l.output_padding
                << ",\"groups\":" << l.groups << ",\"onednn\":\"" << algorithms[i] << "\"}";
        }
        out << "]";
        if (!c.model.empty())
        {
            out << ",\"onednn\":[";
            for (std::size_t i = 0; i < algorithms.size(); ++i)
            {
                out << (i ? "," : "") << '"' << algorithms[i] << '"';
            }
            out << "]";
        }
        out << "}";
        return out.str();
    }

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

    double wall_ms()
    {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    // CPU time of all the process's threads: cpu / wall over a run tells how many threads worked.
    double cpu_ms()
    {
        timespec t{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
    }

    // "\r"-updated when stderr is a terminal, one line per case otherwise.
    class progress
    {
    public:
        progress(std::string label, std::int64_t total) : m_label(std::move(label)), m_total(total), m_start(wall_ms())
        {
            m_tty = isatty(STDERR_FILENO) != 0;
        }

        // One run done; redrawn at most five times a second on a terminal.
        void advance(const std::string& what)
        {
            ++m_done;
            if (m_tty && wall_ms() - m_last > 200)
            {
                show(what);
            }
        }

        void case_done(const std::string& what) { show(what); }

        ~progress()
        {
            if (m_tty)
            {
                std::fprintf(stderr, "\n");
            }
        }

    private:
        void show(const std::string& what)
        {
            const double now = wall_ms();
            m_last = now;
            const double elapsed = (now - m_start) / 1e3;
            const double rate = elapsed > 0 ? m_done / elapsed : 0.0;
            const double eta = rate > 0 ? (m_total - m_done) / rate : 0.0;
            std::fprintf(stderr, "%s[%s] %lld/%lld runs, %.1f runs/s, %.0f s elapsed, ETA %.0f s  %-28s%s",
                         m_tty ? "\r" : "", m_label.c_str(), static_cast<long long>(m_done),
                         static_cast<long long>(m_total), rate, elapsed, eta, what.c_str(), m_tty ? "" : "\n");
            std::fflush(stderr);
        }

        std::string m_label;
        std::int64_t m_total, m_done = 0;
        double m_start, m_last = 0;
        bool m_tty;
    };

    struct timing
    {
        std::vector<double> ms;
        double cpu_per_wall;
    };

    // The untimed runs: until both `warmup` runs and warmup_ms have passed. Returns the time of
    // the last one, which the budget below is judged by.
    double warm_up(int warmup, double warmup_ms, const std::function<void()>& prepare, const std::function<void()>& run,
                   progress& bar, const std::string& what)
    {
        double last = 0;
        const double start = wall_ms();
        for (int i = 0; i < std::max(warmup, 1) || wall_ms() - start < warmup_ms; ++i)
        {
            prepare();
            const double w0 = wall_ms();
            run();
            last = wall_ms() - w0;
            if (i < std::max(warmup, 1))
            {
                bar.advance(what);
            }
        }
        return last;
    }

    // As many of `reps` timed runs as fit in budget_ms at `run_ms` each, at least 3.
    int reps_within_budget(int reps, double budget_ms, double run_ms)
    {
        return budget_ms > 0 && run_ms > 0 ? std::max(3, std::min(reps, static_cast<int>(budget_ms / run_ms))) : reps;
    }

    // Untimed runs until both `warmup` runs and warmup_ms have passed, then reps timed ones;
    // prepare() runs before each, outside the clock. The time floor is there because a fresh
    // process (or case) is slower for its first 0.1-0.3 s — measured: a 2-thread TinySeg
    // forward took 10-15 ms for its first 10-16 runs and 5-6.5 ms from then on, the 1-thread
    // one 12-19 ms for 1-4 runs, then 10.5 — and a median over 5 runs after one warm-up run
    // then reports the transient. A case whose runs are slow gets fewer: as many as fit in
    // budget_ms (judged by the last warm-up run), at least 3, so the big cases do not
    // dominate the session.
    timing time_runs(int warmup, double warmup_ms, int reps, double budget_ms, const std::function<void()>& prepare,
                     const std::function<void()>& run, progress& bar, const std::string& what)
    {
        reps = reps_within_budget(reps, budget_ms, warm_up(warmup, warmup_ms, prepare, run, bar, what));
        timing t{{}, 0.0};
        double wall_total = 0, cpu_total = 0;
        for (int i = 0; i < reps; ++i)
        {
            prepare();
            const double w0 = wall_ms(), c0 = cpu_ms();
            run();
            const double w1 = wall_ms(), c1 = cpu_ms();
            t.ms.push_back(w1 - w0);
            wall_total += w1 - w0;
            cpu_total += c1 - c0;
            bar.advance(what);
        }
        t.cpu_per_wall = wall_total > 0 ? cpu_total / wall_total : 0.0;
        return t;
    }

    // 1-thread and n-thread runs of `run`, paired: after warming up at both counts, each pair
    // times one run at 1 thread and one at n back to back, the order alternating between
    // pairs. On a machine whose speed drifts over seconds to minutes (docs/benchmarks.md),
    // the ratio within a pair is far steadier than a ratio of medians taken apart in time.
    // oneDNN's primitives are cached per thread count (core/conv_dnnl.cpp), so switching
    // builds nothing after the warm-up.
    struct paired_timing
    {
        std::vector<double> ms_1, ms_n;
    };

    paired_timing time_paired(int n, int warmup, double warmup_ms, int reps, double budget_ms,
                              const std::function<void()>& prepare, const std::function<void()>& run, progress& bar,
                              const std::string& what)
    {
        double slowest = 0;
        for (int threads : {1, n})
        {
            adjoint::set_num_threads(threads);
            slowest = std::max(slowest, warm_up(warmup, warmup_ms, prepare, run, bar, what));
        }
        reps = reps_within_budget(reps, budget_ms, slowest);
        paired_timing p;
        for (int i = 0; i < reps; ++i)
        {
            double ms[2] = {0, 0};
            for (int k = 0; k < 2; ++k)
            {
                const int which = (i % 2 == 0) ? k : 1 - k;   // 1 thread first in even pairs
                adjoint::set_num_threads(which == 0 ? 1 : n);
                prepare();
                const double w0 = wall_ms();
                run();
                ms[which] = wall_ms() - w0;
            }
            p.ms_1.push_back(ms[0]);
            p.ms_n.push_back(ms[1]);
            bar.advance(what);
        }
        adjoint::set_num_threads(n);
        return p;
    }

    // The machine's float32 FMA peak in GFLOP/s on `threads` threads: each thread runs
    // independent register-to-register FMA chains (enough of them to cover the latency),
    // AVX-512 when the CPU has it, else AVX2. No memory traffic: the ceiling for any kernel.
    __attribute__((target("avx512f"))) double fma_loop_avx512(long iters)
    {
        __m512 acc[12];
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
        const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
        for (long it = 0; it < iters; ++it)
        {
            for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        }
        __m512 s = acc[0];
        for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
        float v[16];
        _mm512_storeu_ps(v, s);
        return static_cast<double>(v[0] + v[15]);
    }

    __attribute__((target("avx2,fma"))) double fma_loop_avx2(long iters)
    {
        __m256 acc[12];
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
        const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
        for (long it = 0; it < iters; ++it)
        {
            for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        }
        __m256 s = acc[0];
        for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
        float v[8];
        _mm256_storeu_ps(v, s);
        return v[0] + v[7];
    }

    double fma_peak_gflops(int threads, bool avx512)
    {
        const long iters = 20000000;
        const double flop_per_thread = 2.0 * 12 * (avx512 ? 16 : 8) * static_cast<double>(iters);
        double best = 0;
        for (int rep = 0; rep < 3; ++rep)   // the best of 3: other load only ever slows it
        {
            std::vector<std::thread> pool;
            std::vector<double> sink(static_cast<std::size_t>(threads));
            const double t0 = wall_ms();
            for (int i = 0; i < threads; ++i)
            {
                pool.emplace_back([&, i] { sink[i] = avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters); });
            }
            for (auto& th : pool) th.join();
            const double ms = wall_ms() - t0;
            best = std::max(best, threads * flop_per_thread / (ms * 1e6));
        }
        return best;
    }

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

    // A field of /proc/self/status in kB (VmRSS, VmHWM), or -1 when it is not there.
    long status_kb(const char* field)
    {
        std::ifstream in("/proc/self/status");
        std::string line;
        const std::string key = std::string(field) + ":";
        while (std::getline(in, line))
        {
            if (line.compare(0, key.size(), key) == 0)
            {
                return std::strtol(line.c_str() + key.size(), nullptr, 10);
            }
        }
        return -1;
    }

    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the
    // high-water mark afterwards is the peak of what follows.
    bool reset_peak_rss()
    {
        std::ofstream out("/proc/self/clear_refs");
        out << "5";
        out.flush();
        return static_cast<bool>(out);
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

    std::string json_escape(std::string s)
    {
        std::string out;
        for (char ch : s)
        {
            if (ch == '"' || ch == '\\') out += '\\';
            if (ch == '\n') { out += "\\n"; continue; }
            out += ch;
        }
        return out;
    }

    std::string compiler_name()
    {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("g++ ") + __VERSION__;
#else
        return "unknown";
#endif
    }

    void print_about()
    {
        std::printf("{\"compiler\":\"%s\",\"openblas_config\":\"%s\",\"openblas_core\":\"%s\",\"blas_threads_default\":%d}\n",
                    json_escape(compiler_name()).c_str(), json_escape(openblas_get_config()).c_str(),
                    json_escape(openblas_get_corename()).c_str(), adjoint::get_num_threads());
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
