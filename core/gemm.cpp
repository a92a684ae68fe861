// gemm (see gemm.hpp): float32 through oneDNN's sgemm when the build has it, else (and for
// float64) OpenBLAS's CBLAS; and the one thread count of core/threads.hpp, which sets
// OpenMP's (the kernels' loops and oneDNN) and OpenBLAS's pool alike.
//
// Why oneDNN for float32: this machine pins OPENBLAS_CORETYPE=Haswell, which holds OpenBLAS
// 0.3.21 to AVX2 kernels, while oneDNN picks AVX-512 from the CPU itself (docs/benchmarks.md
// has the measurements). Both are called on the calling thread when the caller is already
// inside a parallel region (oneDNN runs sequentially there; kernels only call gemm from a
// region for float32, see gemm_in_region_ok), so the pools never oversubscribe the cores.
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/parallel.hpp>
#include <adjoint/core/shape.hpp>
#include <adjoint/core/threads.hpp>

#include <cblas.h>
#include <omp.h>
#ifdef ADJOINT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#include <atomic>
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
#ifdef ADJOINT_HAVE_DNNL
        if (dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) ==
            dnnl_success)
        {
            return;
        }
#endif
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
    namespace
    {
        // 0 until set_num_threads is called: then the defaults (OpenMP's, one per core unless
        // OMP_NUM_THREADS says otherwise) stand.
        std::atomic<int> requested{0};
    }

    void set_num_threads(int threads)
    {
        if (threads < 1)
        {
            throw std::invalid_argument(detail::str("set_num_threads: expected at least 1 thread, got ", threads));
        }
        requested.store(threads);
        omp_set_num_threads(threads);
        openblas_set_num_threads(threads);
    }

    int get_num_threads()
    {
        const int t = requested.load();
        return t > 0 ? t : omp_get_max_threads();
    }

    namespace detail
    {
        int parallel_threads() { return omp_in_parallel() ? 1 : get_num_threads(); }

        // How many parallel_for bodies this thread is running without a region of their own.
        thread_local int serial_bodies = 0;
        serial_scope::serial_scope() { ++serial_bodies; }
        serial_scope::~serial_scope() { --serial_bodies; }

        // Inside a body run without a region (inside a user's OpenMP region, say), OpenMP's
        // thread number is the user's team's, not a chunk's: that body is chunk 0.
        int thread_index() { return serial_bodies > 0 ? 0 : omp_get_thread_num(); }
    }

    namespace kernels
    {
        bool gemm_in_region_ok(adjoint::dtype dt)
        {
#ifdef ADJOINT_HAVE_DNNL
            return dt == float32;
#else
            (void)dt;
            return false;
#endif
        }
    }
}
