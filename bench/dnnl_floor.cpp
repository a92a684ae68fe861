// dnnl_floor: how fast a convolution layer row (C1-C3, B1, U1: plain NCHW input, output and
// gradients, as bench/conv_bench times them) could be with oneDNN's kernels, whoever calls
// them. For each case it builds the primitives oneDNN picks for the row's geometry (layouts
// left to oneDNN and the algorithm adjoint runs there, as core/conv_dnnl.cpp does), times
// each one alone, and times the layout copies a plain-in, plain-out row cannot avoid: the
// input into the kernel's layout, the output back, the output gradient in, the input
// gradient back. Their sum is the row's floor with these kernels: what would remain if
// everything else (the bias gradient, copies a library could skip, allocation, the graph)
// cost nothing. The weight gradient is timed as one call and as the 4-sample parts adjoint
// runs (bit-identical for any thread count), the faster of the two counting; buffers are
// reused, so data a kernel reads is often still in cache: a floor, not a forecast.
// bench/run.py runs it beside conv_bench (its "oneDNN floor" column) when it is built.
// Deliberately not here: transposed convolutions (their rows already meet the issue's
// targets), adjoint's own code paths (conv_bench times those), any assertion.
//
//   dnnl_floor [--threads N] [--case NAME]...   (default: every case it can run)
//   one JSON line per case on stdout (conv_bench's fields: fwd_ms = forward + its copies,
//   fwdbwd_ms = the floor), a table on stderr; conv_bench's timing options are accepted and
//   ignored, cases it cannot run (models, transposed, im2col) are skipped with a note
#include "bench_cases.hpp"
#include "bench_machine.hpp"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace
{
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    using dims = dnnl::memory::dims;

    const dnnl::engine& cpu()
    {
        static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
        return e;
    }

    // Median of `reps` runs after `warm` untimed ones, ms.
    double median_ms(const std::function<void()>& f, int warm = 5, int reps = 41)
    {
        std::vector<double> t;
        for (int i = 0; i < warm; ++i) f();
        for (int i = 0; i < reps; ++i)
        {
            const auto a = std::chrono::steady_clock::now();
            f();
            t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
        }
        std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
        return t[static_cast<std::size_t>(reps / 2)];
    }

    // A memory of `d` with every byte written once (so first-touch page faults are not timed).
    dnnl::memory filled(const dnnl::memory::desc& d)
    {
        dnnl::memory m(d, cpu());
        float* p = static_cast<float*>(m.get_data_handle());
        const std::size_t n = d.get_size() / sizeof(float);
        for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<float>(i % 17) * 0.125f - 1.0f;
        return m;
    }

    // The time of copying `from`'s layout into `to`'s (0 when they agree: no copy is needed).
    double copy_ms(const dnnl::memory::desc& from, const dnnl::memory::desc& to, dnnl::stream& s)
    {
        if (from == to) return 0.0;
        dnnl::memory a = filled(from), b = filled(to);
        dnnl::reorder r(a, b);
        return median_ms([&] { r.execute(s, a, b); s.wait(); });
    }

    template <class PD>
    dnnl::memory scratch_of(const PD& pd)
    {
        return filled(pd.scratchpad_desc());
    }

    struct row
    {
        std::string name, fwd_impl, data_impl, weights_impl;
        double fwd = 0, data = 0, weights_whole = 0, weights_parts = 0;
        double copy_src = 0, copy_dst = 0, copy_diff_dst = 0, copy_diff_src = 0;
        double macs = 0;
        double floor() const
        {
            return fwd + data + std::min(weights_parts, weights_whole) + copy_src + copy_dst + copy_diff_dst + copy_diff_src;
        }
    };

    row measure(const bench::case_spec& c, dnnl::algorithm algo)
    {
        const bench::layer_spec& l = c.layers.front();
        // The output size from the library's own geometry rule, not a second copy of it.
        const adjoint::conv_geometry geo = adjoint::conv2d_geometry(
            {c.n, c.c, c.h, c.w}, {l.out, l.in, l.kernel, l.kernel}, std::nullopt,
            {{l.stride, l.stride}, {l.padding, l.padding}, {1, 1}, 1, false});
        const std::int64_t oh = geo.h_out, ow = geo.w_out;
        const dims strides{l.stride, l.stride}, pads{l.padding, l.padding};
        dnnl::stream s(cpu());
        row r;
        r.name = c.name;
        r.macs = bench::case_macs(c);

        auto descs = [&](std::int64_t n, tag t) {
            return std::make_pair(dnnl::memory::desc({n, l.in, c.h, c.w}, dt::f32, t),
                                  dnnl::memory::desc({n, l.out, oh, ow}, dt::f32, t));
        };
        const dnnl::memory::desc w_any({l.out, l.in, l.kernel, l.kernel}, dt::f32, tag::any);
        const dnnl::memory::desc bias({l.out}, dt::f32, tag::a);
        auto forward_pd = [&](std::int64_t n) {
            const auto [src, dst] = descs(n, tag::any);
            return dnnl::convolution_forward::primitive_desc(
                dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo,
                                                src, w_any, bias, dst, strides, pads, pads),
                cpu());
        };
        const auto [src_plain, dst_plain] = descs(c.n, tag::abcd);

        // Forward (with the bias, as every row has one).
        const auto fpd = forward_pd(c.n);
        r.fwd_impl = fpd.impl_info_str();
        {
            dnnl::memory src = filled(fpd.src_desc()), wei = filled(fpd.weights_desc()), b = filled(bias),
                         dst = filled(fpd.dst_desc()), scratch = scratch_of(fpd);
            dnnl::convolution_forward p(fpd);
            r.fwd = median_ms([&] {
                p.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst},
                              {DNNL_ARG_SCRATCHPAD, scratch}});
                s.wait();
            });
        }
        r.copy_src = copy_ms(src_plain, fpd.src_desc(), s);
        r.copy_dst = copy_ms(fpd.dst_desc(), dst_plain, s);

        // Input gradient (rows whose input is data have none).
        if (c.input_grad)
        {
            const auto [src_any, dst_any] = descs(c.n, tag::any);
            const dnnl::convolution_backward_data::primitive_desc bpd(
                dnnl::convolution_backward_data::desc(algo, src_any, w_any, dst_any,
                                                      strides, pads, pads),
                cpu(), fpd);
            r.data_impl = bpd.impl_info_str();
            dnnl::memory gx = filled(bpd.diff_src_desc()), wei = filled(bpd.weights_desc()),
                         gy = filled(bpd.diff_dst_desc()), scratch = scratch_of(bpd);
            dnnl::convolution_backward_data p(bpd);
            r.data = median_ms([&] {
                p.execute(s, {{DNNL_ARG_DIFF_SRC, gx}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_DST, gy},
                              {DNNL_ARG_SCRATCHPAD, scratch}});
                s.wait();
            });
            r.copy_diff_src = copy_ms(bpd.diff_src_desc(), src_plain, s);
        }

        // Weight gradient, whole batch in one call and in adjoint's parts (min(n, 4) of them).
        const std::int64_t parts = std::min<std::int64_t>(c.n, 4);
        for (const std::int64_t n : {c.n, c.n / parts})
        {
            const auto [src_any, dst_any] = descs(n, tag::any);
            const auto part_fpd = forward_pd(n);
            const dnnl::convolution_backward_weights::primitive_desc wpd(
                dnnl::convolution_backward_weights::desc(algo, src_any, w_any,
                                                         dst_any, strides, pads, pads),
                cpu(), part_fpd);
            dnnl::memory x = filled(wpd.src_desc()), gw = filled(wpd.diff_weights_desc()),
                         gy = filled(wpd.diff_dst_desc()), scratch = scratch_of(wpd);
            dnnl::convolution_backward_weights p(wpd);
            const std::int64_t calls = c.n / n;
            const double t = median_ms([&] {
                for (std::int64_t i = 0; i < calls; ++i)
                {
                    p.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_WEIGHTS, gw}, {DNNL_ARG_DIFF_DST, gy},
                                  {DNNL_ARG_SCRATCHPAD, scratch}});
                }
                s.wait();
            });
            (n == c.n ? r.weights_whole : r.weights_parts) = t;
            if (n == c.n)
            {
                r.weights_impl = wpd.impl_info_str();
                // The output gradient comes in once, in the layout its first user wants.
                const dnnl::memory::desc wanted = c.input_grad ? fpd.dst_desc() : wpd.diff_dst_desc();
                r.copy_diff_dst = copy_ms(dst_plain, wanted, s);
            }
        }
        return r;
    }
}

int main(int argc, char** argv)
{
    int threads = 1;
    std::vector<std::string> names;
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
        {
            threads = std::atoi(argv[++i]);
        }
        else if (a == "--case" && i + 1 < argc)
        {
            names.push_back(argv[++i]);
        }
        else if ((a == "--warmup" || a == "--warmup-ms" || a == "--reps" || a == "--budget-ms") && i + 1 < argc)
        {
            ++i;   // conv_bench's timing options, so that bench/run.py can call both alike
        }
        else
        {
            std::fprintf(stderr, "usage: dnnl_floor [--threads N] [--case NAME]...\n");
            return 2;
        }
    }
    if (threads < 1)
    {
        std::fprintf(stderr, "dnnl_floor: --threads must be >= 1, got %d\n", threads);
        return 2;
    }
    adjoint::set_num_threads(threads);
    std::vector<std::pair<bench::case_spec, dnnl::algorithm>> chosen;
    for (const bench::case_spec& c : bench::cases())
    {
        if (!names.empty() && std::find(names.begin(), names.end(), c.name) == names.end())
        {
            continue;
        }
        const bool layer = c.model.empty() && c.layers.size() == 1 && !c.layers[0].transpose && c.layers[0].groups == 1;
        const std::string algo = layer ? bench::layer_algorithms(c)[0] : "";
        if (algo != "direct" && algo != "winograd")
        {
            if (!names.empty())
            {
                std::fprintf(stderr, "dnnl_floor: skipping %s (not one ungrouped convolution on oneDNN)\n",
                             c.name.c_str());
            }
            continue;
        }
        chosen.emplace_back(c, algo == "winograd" ? dnnl::algorithm::convolution_winograd
                                                  : dnnl::algorithm::convolution_direct);
    }
    const double peak = bench::fma_peak_gflops(threads, __builtin_cpu_supports("avx512f") != 0);
    std::fprintf(stderr, "FMA peak, %d thread(s): %.0f GFLOP/s\n", threads, peak);
    std::fprintf(stderr, "%-4s %8s %8s %8s %8s | %8s %8s %8s %8s | %8s  kernels %% of peak (fwd, data, weights)\n",
                 "case", "fwd", "data", "w parts", "w whole", "x in", "y out", "gy in", "gx out", "floor");
    for (const auto& [c, algo] : chosen)
    {
        const row r = measure(c, algo);
        auto pct = [&](double ms) { return ms > 0 ? 100.0 * 2.0 * r.macs / (ms * 1e6) / peak : 0.0; };
        const double weights = std::min(r.weights_parts, r.weights_whole);
        std::fprintf(stderr, "%-4s %8.3f %8.3f %8.3f %8.3f | %8.3f %8.3f %8.3f %8.3f | %8.3f  %.0f / %.0f / %.0f\n",
                     r.name.c_str(), r.fwd, r.data, r.weights_parts, r.weights_whole, r.copy_src, r.copy_dst,
                     r.copy_diff_dst, r.copy_diff_src, r.floor(), pct(r.fwd), pct(r.data), pct(weights));
        std::printf("{\"framework\":\"onednn floor\",\"mode\":\"time\",\"case\":\"%s\",\"threads\":%d,"
                    "\"fwd_ms\":[%.4f],\"fwdbwd_ms\":[%.4f],\"fwdbwd_cpu_per_wall\":null,\"peak_gflops\":%.1f,"
                    "\"kernel_fwd_ms\":%.4f,\"kernel_data_ms\":%.4f,\"kernel_weights_parts_ms\":%.4f,"
                    "\"kernel_weights_whole_ms\":%.4f,\"copy_src_ms\":%.4f,\"copy_dst_ms\":%.4f,"
                    "\"copy_diff_dst_ms\":%.4f,\"copy_diff_src_ms\":%.4f,\"fwd_impl\":\"%s\","
                    "\"data_impl\":\"%s\",\"weights_impl\":\"%s\"}\n",
                    r.name.c_str(), threads, r.fwd + r.copy_src + r.copy_dst, r.floor(), peak, r.fwd, r.data,
                    r.weights_parts, r.weights_whole, r.copy_src, r.copy_dst, r.copy_diff_dst, r.copy_diff_src,
                    r.fwd_impl.c_str(), r.data_impl.c_str(), r.weights_impl.c_str());
        std::fflush(stdout);
    }
    return 0;
}
