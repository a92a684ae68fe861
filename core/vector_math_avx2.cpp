// vector_math.hpp's functions for AVX2 + FMA: this file alone is compiled with -mavx2 -mfma
// (CMakeLists.txt), and vector_math.cpp calls it only on a CPU that has both. Where those
// flags are not set (another processor or compiler) it instantiates the baseline instead,
// which vector_math.cpp then never calls.
#include <adjoint/core/vector_math_impl.hpp>

namespace adjoint::kernels::vector_math::avx2
{
#if defined(__AVX2__) && defined(__FMA__)
    using arch = xsimd::fma3<xsimd::avx2>;
#else
    using arch = xsimd::default_arch;
#endif
    void softplus(const float* in, float* out, std::int64_t n, float beta, float threshold)
    {
        softplus_impl<arch>(in, out, n, beta, threshold);
    }
    void softplus(const double* in, double* out, std::int64_t n, double beta, double threshold)
    {
        softplus_impl<arch>(in, out, n, beta, threshold);
    }
    void sigmoid(const float* in, float* out, std::int64_t n) { sigmoid_impl<arch>(in, out, n); }
    void sigmoid(const double* in, double* out, std::int64_t n) { sigmoid_impl<arch>(in, out, n); }
    double sum(const float* x, std::int64_t n) { return sum_impl(x, n); }
    double sum(const double* x, std::int64_t n) { return sum_impl(x, n); }
}
