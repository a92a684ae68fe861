// How conv_bench times a case: wall and CPU clocks, the progress line (rate, ETA), the
// warm-up rule, the per-case time budget, and the paired 1-to-N-thread runs. It knows
// nothing about convolutions: every function takes the run to time as a callable.
#pragma once
#include <adjoint/core/threads.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace bench
{
    inline double wall_ms()
    {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    // CPU time of all the process's threads: cpu / wall over a run tells how many threads worked.
    inline double cpu_ms()
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
    inline double warm_up(int warmup, double warmup_ms, const std::function<void()>& prepare, const std::function<void()>& run,
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
    inline int reps_within_budget(int reps, double budget_ms, double run_ms)
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
    inline timing time_runs(int warmup, double warmup_ms, int reps, double budget_ms, const std::function<void()>& prepare,
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

    inline paired_timing time_paired(int n, int warmup, double warmup_ms, int reps, double budget_ms,
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
}
