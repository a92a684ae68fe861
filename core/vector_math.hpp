// Transcendental maps over contiguous buffers, vectorised with xsimd: the stable softplus
// and the logistic sigmoid. glibc's scalar log1pf and expf made the BCE-with-logits loss of a
// 16x1x64x64 batch take 2.3 ms of a 48 ms training step (docs/benchmarks.md). The library is
// built for the baseline x86-64 ISA, so these are compiled twice, once for AVX2 + FMA
// (vector_math_avx2.cpp) and once for the baseline, and the CPU picks at run time.
// Every element goes through the same vector code (a short tail is padded, not looped in
// scalar code), so a value does not depend on where its chunk starts: results are the same
// for any thread split. Results below the smallest normal number may come out as 0
// (xsimd's exp flushes them), e.g. softplus(-88.5f) = 0 instead of 3.7e-39. Internal; the
// callers (activation_kernels.cpp, elementwise.cpp) own shapes, dtypes and parallel loops.
// Besides the maps, one reduction: the contiguous sum behind core/reduce.cpp, whose AVX2
// build widens floats to doubles 3x faster. Not here: anything else that is not elementwise.
#pragma once
#include <cstdint>

namespace adjoint::kernels::vector_math
{
    // out = v > threshold ? x : (max(v, 0) + log1p(exp(-|v|))) / beta, with v = beta * x:
    // log(1 + e^v) / beta without overflow for large v. threshold = +inf gives the plain
    // softplus; in and out may be the same buffer.
    void softplus(const float* in, float* out, std::int64_t n, float beta, float threshold);
    void softplus(const double* in, double* out, std::int64_t n, double beta, double threshold);

    // out = 1 / (1 + exp(-x)) (0 for very negative x, where exp overflows to inf).
    void sigmoid(const float* in, float* out, std::int64_t n);
    void sigmoid(const double* in, double* out, std::int64_t n);

    // The sum of x[0, n) in double, with sixteen independent partial sums added in a fixed
    // order (the reductions' inner loop, core/reduce.cpp): the same value on both instruction
    // sets and wherever the buffer sits; not the order of a plain running sum.
    double sum(const float* x, std::int64_t n);
    double sum(const double* x, std::int64_t n);

    // The instruction set the functions above run on here: "avx2+fma" or "baseline".
    const char* isa();

    // For tests: run the baseline code even where AVX2 is there (true), or choose by the CPU
    // again (false), so that both instantiations are checked on one machine. Not thread-safe.
    void use_baseline_for_testing(bool baseline);
}
