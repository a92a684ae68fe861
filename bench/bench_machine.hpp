// What conv_bench reads off the machine: the float32 FMA peak (a register-only loop, the
// ceiling any kernel is compared with), the process's resident and peak memory from
// /proc/self/status, and the compiler and OpenBLAS build for --about. Linux and x86-64 only,
// like the benchmark; no timing of library code here.
#pragma once
#include "bench_timing.hpp"   // wall_ms

#include <adjoint/core/threads.hpp>

#include <immintrin.h>

#include <cblas.h>   // only for OpenBLAS's own config / core name in --about

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bench
{
    // The machine's float32 FMA peak in GFLOP/s on `threads` threads: each thread runs
    // independent register-to-register FMA chains (enough of them to cover the latency),
    // AVX-512 when the CPU has it, else AVX2. No memory traffic: the ceiling for any kernel.
    __attribute__((target("avx512f"))) inline double fma_loop_avx512(long iters)
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

    __attribute__((target("avx2,fma"))) inline double fma_loop_avx2(long iters)
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

    inline double fma_peak_gflops(int threads, bool avx512)
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

    // A field of /proc/self/status in kB (VmRSS, VmHWM), or -1 when it is not there.
    inline long status_kb(const char* field)
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
    inline bool reset_peak_rss()
    {
        std::ofstream out("/proc/self/clear_refs");
        out << "5";
        out.flush();
        return static_cast<bool>(out);
    }

    inline std::string json_escape(std::string s)
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

    inline std::string compiler_name()
    {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("g++ ") + __VERSION__;
#else
        return "unknown";
#endif
    }

    inline void print_about()
    {
        std::printf("{\"compiler\":\"%s\",\"openblas_config\":\"%s\",\"openblas_core\":\"%s\",\"blas_threads_default\":%d}\n",
                    json_escape(compiler_name()).c_str(), json_escape(openblas_get_config()).c_str(),
                    json_escape(openblas_get_corename()).c_str(), adjoint::get_num_threads());
    }
}
