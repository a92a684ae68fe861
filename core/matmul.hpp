// Batched matrix products on arrays through kernels::gemm, one BLAS call per batch matrix
// (or a single call when the batch folds into the rows). Shapes are validated by the
// autograd caller, which knows the user's original operands for error messages.
#pragma once
#include <adjoint/core/array.hpp>

namespace adjoint::kernels
{
    // op(a): (..., n, k), op(b): (..., k, m) -> (..., n, m), where op transposes the last two
    // axes of the stored array when asked. Both have at least 2 dimensions, one dtype, and
    // batch dimensions that broadcast.
    array matmul(const array& a, const array& b, bool trans_a = false, bool trans_b = false);
}
