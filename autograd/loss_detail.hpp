// Argument checks and the reduction step shared by autograd/loss.cpp and
// loss_classification.cpp, so every loss words its errors the same way. Internal.
#pragma once
#include <adjoint/autograd/loss.hpp>

namespace adjoint::detail
{
    // elements reduced as `r` says: themselves, their mean (NaN when empty) or their sum.
    Tensor reduce_loss(const Tensor& elements, reduction r);

    // "<op>: <name> must be a float32 or float64 tensor, got int64"
    void check_loss_floating(const char* op, const char* name, const Tensor& t);

    // "<op>: target size (16, 32, 32) must be the same as input size (16, 1, 32, 32)"
    void check_same_size(const char* op, const Tensor& input, const Tensor& target);

    // A floating target of the input's dtype and shape (the elementwise losses' rule).
    void check_elementwise_target(const char* op, const Tensor& input, const Tensor& target);

    // A weight-like constant (`name` is "weight" or "pos_weight"): the input's dtype, and not
    // requiring grad, as PyTorch refuses to differentiate class weights. Returns it detached.
    Tensor constant_weight(const char* op, const char* name, const Tensor& weight, const Tensor& input);
}
