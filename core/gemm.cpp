// gemm through OpenBLAS's CBLAS interface (see gemm.hpp), and the thread count of
// core/threads.hpp, which is OpenBLAS's pool size.
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/shape.hpp>
#include <adjoint/core/threads.hpp>

#include <cblas.h>

#include <stdexcept>

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

}

namespace adjoint
{
    void set_num_threads(int threads)
    {
        if (threads < 1)
        {
            throw std::invalid_argument(detail::str("set_num_threads: expected at least 1 thread, got ", threads));
        }
        openblas_set_num_threads(threads);
    }

    int get_num_threads() { return openblas_get_num_threads(); }
}
