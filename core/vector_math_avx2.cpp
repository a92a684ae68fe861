// vector_math.hpp's functions for AVX2 + FMA: this file alone is compiled with -mavx2 -mfma
// (CMakeLists.txt), and vector_math.cpp calls it only on a CPU that has both.
#include <adjoint/core/vector_math_impl.hpp>

#if defined(__AVX2__) && defined(__FMA__)
namespace adjoint::kernels::vector_math::avx2
{
    using arch = xsimd::fma3<xsimd::avx2>;
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
}
#endif
