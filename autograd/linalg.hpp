// matmul: 2-d and batched (broadcast batch dimensions) matrix products through BLAS.
// Its backward is two more matmuls, so higher-order gradients come for free.
#pragma once
#include <adjoint/autograd/tensor.hpp>

namespace adjoint
{
    // a: (..., n, k), b: (..., k, m) -> (..., n, m). 1-d operands are treated as in numpy.
    Tensor matmul(const Tensor& a, const Tensor& b);
}
