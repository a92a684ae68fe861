// How many threads adjoint's kernels may use: the one control for every parallel region —
// the conv kernels' loops over samples, the elementwise kernels' chunks (OpenMP), oneDNN's
// and OpenBLAS's GEMMs. The default is OpenMP's (OMP_NUM_THREADS, else one per core).
// Results do not depend on it (see core/parallel.hpp; docs/benchmarks.md lists exceptions).
#pragma once

namespace adjoint
{
    // Throws std::invalid_argument for threads < 1.
    void set_num_threads(int threads);
    int get_num_threads();
}
