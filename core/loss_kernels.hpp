// Kernels behind the losses (autograd/loss*.cpp): the per-class weight mask that turns int64
// class indices into the [n, c, d...] factor nll_loss and cross_entropy multiply
// log-probabilities by (the losses' softplus is activation_kernels.hpp's). Values only: the
// callers validate targets (range, dtype, shape) and own the gradients. Internal, never
// installed.
#pragma once
#include <adjoint/core/array.hpp>

#include <cstdint>
#include <optional>

namespace adjoint::kernels
{
    struct class_mask_result
    {
        array mask;               // (n, c, d...) in dtype dt
        double weight_sum = 0.0;  // sum over non-ignored positions of weight[target]
    };

    // target: (n, d...) int64 with values in [0, classes) or == ignore_index (checked by the
    // caller). weight: (classes) in dt, or undefined for all ones. The mask at (i, k, p) is
    //   w[k] * ((1 - smoothing) * [target(i, p) == k] + smoothing / classes)
    // at non-ignored positions and 0 at ignored ones, so that
    //   -sum_k log_p(i, k, p) * mask(i, k, p)
    // is PyTorch's (label-smoothed, weighted) negative log-likelihood of position (i, p).
    class_mask_result class_mask(const array& target, std::int64_t classes, const array& weight,
                                 std::optional<std::int64_t> ignore_index, double smoothing, adjoint::dtype dt);
}
