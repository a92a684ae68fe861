// linear: the affine map of a fully connected layer, y = x W^T + b, as torch.nn.functional.linear.
// Built on matmul (so its gradients, and their gradients, are matmul's); no fused kernel.
#pragma once
#include <adjoint/autograd/tensor.hpp>

namespace adjoint
{
    // x: (..., in_features) (any leading dimensions, or none), weight: (out_features,
    // in_features), bias: (out_features,) or undefined for none -> (..., out_features).
    Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
}
