// conv_bench: times adjoint's conv2d / conv_transpose2d in float32 on a fixed list of cases
// typical of small CNN and encoder-decoder training on a laptop CPU — forward, and forward +
// backward — and prints one JSON line per case. It compares nothing and asserts nothing:
// bench/run.py reads the case list from `conv_bench --list`, runs the same cases with
// PyTorch and prints the comparison. Usage: conv_bench --help
#include <adjoint/adjoint.hpp>
#include <adjoint/core/threads.hpp>

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

    // A case is a chain of layers with relu between them (a single layer has none), run on
    // a random input [n, c, h, w]. input_grad says whether the input needs a gradient: true
    // for a layer inside a network, false where the input is data (a stem, the whole net).
    struct case_spec
    {
        std::string name, what;
        std::int64_t n, c, h, w;
        bool input_grad;
        std::vector<layer_spec> layers;
    };

    std::vector<case_spec> cases()
    {
        return {
            {"stem_3to16_64", "conv 3->16 3x3 s1 p1, 64x64", 8, 3, 64, 64, false, {conv(3, 16, 3, 1, 1)}},
            {"down_16to32_s2_64", "conv 16->32 3x3 s2 p1, 64x64", 8, 16, 64, 64, true, {conv(16, 32, 3, 2, 1)}},
            {"conv_64to64_32", "conv 64->64 3x3 s1 p1, 32x32", 8, 64, 32, 32, true, {conv(64, 64, 3, 1, 1)}},
            {"depthwise_32_32", "depthwise 32ch 3x3 s1 p1 (groups 32), 32x32", 8, 32, 32, 32, true,
             {conv(32, 32, 3, 1, 1, 32)}},
            {"pointwise_64to128_16", "conv 64->128 1x1, 16x16", 8, 64, 16, 16, true, {conv(64, 128, 1, 1, 0)}},
            {"up_k4_32to16_16", "conv_transpose 32->16 4x4 s2 p1, 16x16 -> 32x32", 8, 32, 16, 16, true,
             {conv_t(32, 16, 4, 2, 1, 0)}},
            {"up_k3op1_32to16_16", "conv_transpose 32->16 3x3 s2 p1 op1, 16x16 -> 32x32", 8, 32, 16, 16, true,
             {conv_t(32, 16, 3, 2, 1, 1)}},
            {"encdec_64", "encoder-decoder step, 3x64x64: 3-16-32(s2)-64(s2) convs, 64-32-16 k4 s2 up, 16->3 conv",
             8, 3, 64, 64, false,
             {conv(3, 16, 3, 1, 1), conv(16, 32, 3, 2, 1), conv(32, 64, 3, 2, 1), conv_t(64, 32, 4, 2, 1, 0),
              conv_t(32, 16, 4, 2, 1, 0), conv(16, 3, 3, 1, 1)}},
        };
    }

    std::string case_json(const case_spec& c)
    {
        std::ostringstream out;
        out << "{\"name\":\"" << c.name << "\",\"what\":\"" << c.what << "\",\"input\":[" << c.n << ',' << c.c << ','
            << c.h << ',' << c.w << "],\"input_grad\":" << (c.input_grad ? "true" : "false") << ",\"layers\":[";
        for (std::size_t i = 0; i < c.layers.size(); ++i)
        {
            const layer_spec& l = c.layers[i];
            out << (i ? "," : "") << "{\"op\":\"" << (l.transpose ? "conv_transpose2d" : "conv2d") << "\",\"in\":" << l.in
                << ",\"out\":" << l.out << ",\"kernel\":" << l.kernel << ",\"stride\":" << l.stride
                << ",\"padding\":" << l.padding << ",\"output_padding\":" << l.output_padding
                << ",\"groups\":" << l.groups << '}';
        }
        out << "]}";
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

    // warmup untimed runs, then reps timed ones; prepare() runs before each, outside the clock.
    timing time_runs(int warmup, int reps, const std::function<void()>& prepare, const std::function<void()>& run,
                     progress& bar, const std::string& what)
    {
        for (int i = 0; i < warmup; ++i)
        {
            prepare();
            run();
            bar.advance(what);
        }
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
        bool list = false, about = false, memory = false;
        std::vector<std::string> only;
    };

    const char* usage =
        "usage: conv_bench [--threads N] [--warmup W] [--reps R] [--case NAME]... [--memory] [--list] [--about]\n"
        "  default: time every case (W untimed then R timed runs of forward, then of forward+backward),\n"
        "           one JSON line per case on stdout, progress on stderr\n"
        "  --memory  per case: RSS growth over one forward+backward after warm-up (run with\n"
        "            MALLOC_MMAP_THRESHOLD_ fixed so freed blocks go back to the OS; run.py does)\n"
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
            else if (a == "--reps") o.reps = std::stoi(value());
            else if (a == "--case") o.only.push_back(value());
            else if (a == "--memory") o.memory = true;
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
        if (o.threads < 1 || o.warmup < 0 || o.reps < 1)
        {
            throw std::invalid_argument("conv_bench: need --threads >= 1, --warmup >= 0, --reps >= 1");
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

        // OpenBLAS's pool is the only parallelism in adjoint's conv; set it here rather than
        // through OPENBLAS_NUM_THREADS so the figure is what the library itself can ask for.
        adjoint::set_num_threads(opt.threads);
        manual_seed(0);
        const std::int64_t runs_per_case = opt.memory ? 3 : 2 * (opt.warmup + opt.reps);
        progress bar("adjoint t=" + std::to_string(opt.threads) + (opt.memory ? " memory" : ""),
                     runs_per_case * static_cast<std::int64_t>(selected.size()));
        for (const case_spec& c : selected)
        {
            network net(c);
            if (opt.memory)
            {
                for (int i = 0; i < 2; ++i)   // OpenBLAS buffers and first-touch costs stay out
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
            const timing fwd = time_runs(
                opt.warmup, opt.reps, [&] { net.zero_grad(); }, [&] { net.forward(); }, bar, c.name + " fwd");
            const timing both = time_runs(
                opt.warmup, opt.reps, [&] { net.zero_grad(); }, [&] { net.step(); }, bar, c.name + " fwd+bwd");
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
