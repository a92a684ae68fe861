// How many threads adjoint's kernels may use. The parallel work today is inside BLAS (matmul
// and the convolution GEMMs); the other kernels run on the calling thread. The default is
// OpenBLAS's (OPENBLAS_NUM_THREADS, else one per core).
#pragma once

namespace adjoint
{
    // Throws std::invalid_argument for threads < 1.
    void set_num_threads(int threads);
    int get_num_threads();
}
