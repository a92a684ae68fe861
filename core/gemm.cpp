// gemm through OpenBLAS's CBLAS interface (see gemm.hpp).
#include <adjoint/core/gemm.hpp>

#include <cblas.h>

namespace adjoint::kernels
{
    namespace
    {
        CBLAS_TRANSPOSE op(bool t) { return t ? CblasTrans : CblasNoTrans; }
        blasint n32(std::int64_t v) { return static_cast<blasint>(v); }
    }

    void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), n32(m), n32(n), n32(k), alpha, a, n32(lda), b, n32(ldb),
                    beta, c, n32(ldc));
    }

    void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
              const double* a, std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
              std::int64_t ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), n32(m), n32(n), n32(k), alpha, a, n32(lda), b, n32(ldb),
                    beta, c, n32(ldc));
    }

    void set_num_threads(int threads)
    {
        if (threads > 0)
        {
            openblas_set_num_threads(threads);
        }
    }

    int num_threads() { return openblas_get_num_threads(); }
}
