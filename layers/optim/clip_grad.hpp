// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (1.13): they scale or
// clamp the parameters' accumulated gradients in place, between backward() and step().
// Parameters whose gradient is undefined are skipped. Not here: foreach variants.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <limits>

namespace adjoint::optim
{
    // Scales every gradient by min(1, max_norm / (total + 1e-6)), where total is the norm of
    // order norm_type (> 0, or infinity for the largest magnitude) of all the gradients taken
    // together, and returns total as a 0-d tensor of the first gradient's dtype (a float32 0
    // when no parameter has a gradient). With error_if_nonfinite a NaN or infinite total is a
    // std::runtime_error and nothing is scaled.
    Tensor clip_grad_norm_(const tensor_list& params, double max_norm, double norm_type = 2.0,
                           bool error_if_nonfinite = false);
    // Clamps every gradient element into [-clip_value, clip_value] (clip_value >= 0).
    void clip_grad_value_(const tensor_list& params, double clip_value);

    inline constexpr double inf = std::numeric_limits<double>::infinity();
}
