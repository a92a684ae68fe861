// vector_math.hpp: the baseline instantiation and the run-time choice between it and the
// AVX2 + FMA one (vector_math_avx2.cpp), made once per process.
#include <adjoint/core/vector_math.hpp>
#include <adjoint/core/vector_math_impl.hpp>

namespace adjoint::kernels::vector_math
{
    namespace avx2   // vector_math_avx2.cpp
    {
        void softplus(const float* in, float* out, std::int64_t n, float beta, float threshold);
        void softplus(const double* in, double* out, std::int64_t n, double beta, double threshold);
        void sigmoid(const float* in, float* out, std::int64_t n);
        void sigmoid(const double* in, double* out, std::int64_t n);
        double sum(const float* x, std::int64_t n);
        double sum(const double* x, std::int64_t n);
    }

    namespace
    {
        using baseline = xsimd::default_arch;   // what the library's own flags allow (SSE2 on x86-64)

        bool forced_baseline = false;

        // ADJOINT_VECTOR_MATH_AVX2: CMake built vector_math_avx2.cpp with -mavx2 -mfma.
        bool has_avx2()
        {
#if defined(ADJOINT_VECTOR_MATH_AVX2)
            static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
            return yes && !forced_baseline;
#else
            return false;
#endif
        }
    }

    void softplus(const float* in, float* out, std::int64_t n, float beta, float threshold)
    {
        has_avx2() ? avx2::softplus(in, out, n, beta, threshold) : softplus_impl<baseline>(in, out, n, beta, threshold);
    }

    void softplus(const double* in, double* out, std::int64_t n, double beta, double threshold)
    {
        has_avx2() ? avx2::softplus(in, out, n, beta, threshold) : softplus_impl<baseline>(in, out, n, beta, threshold);
    }

    void sigmoid(const float* in, float* out, std::int64_t n)
    {
        has_avx2() ? avx2::sigmoid(in, out, n) : sigmoid_impl<baseline>(in, out, n);
    }

    void sigmoid(const double* in, double* out, std::int64_t n)
    {
        has_avx2() ? avx2::sigmoid(in, out, n) : sigmoid_impl<baseline>(in, out, n);
    }

    double sum(const float* x, std::int64_t n) { return has_avx2() ? avx2::sum(x, n) : sum_impl(x, n); }

    double sum(const double* x, std::int64_t n) { return has_avx2() ? avx2::sum(x, n) : sum_impl(x, n); }

    const char* isa() { return has_avx2() ? "avx2+fma" : "baseline"; }

    void use_baseline_for_testing(bool baseline) { forced_baseline = baseline; }
}
