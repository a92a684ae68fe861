// gemm: the one entry to BLAS. Row-major C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C,
// where op transposes when asked. Matmul and the convolution kernels all go through here,
// so the BLAS dependency (and its threading, see core/threads.hpp) is confined to gemm.cpp.
#pragma once
#include <adjoint/core/dtype.hpp>

#include <cstdint>

namespace adjoint::kernels
{
    void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
    void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
              const double* a, std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
              std::int64_t ldc);

    // Whether gemm of this dtype may be called from inside a parallel loop (it then runs on
    // the calling thread): true for float32 with oneDNN; OpenBLAS's own pool would
    // oversubscribe the cores, so float64 GEMMs are called from one thread only.
    bool gemm_in_region_ok(adjoint::dtype dt);
}
