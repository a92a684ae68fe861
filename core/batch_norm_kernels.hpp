// Batch-norm kernels on [N, C, ...] arrays (spatial dims flattened to one, `s`): per-channel
// mean and biased variance over everything but the channel axis, and the per-channel affine
// map the normalisation reduces to. Pure values: the running-stat update, validation and the
// gradient live in autograd/batch_norm.cpp.
#pragma once
#include <adjoint/core/array.hpp>

namespace adjoint::kernels
{
    // The [n, c, s] view of an [N, C, ...] array: each sample's channel plane is one
    // contiguous run of s values, at (i * c + ch) * s. Shared with SyncBatchNorm's sums.
    struct channel_layout
    {
        std::int64_t n, c, s;
    };

    inline channel_layout channel_layout_of(const array& x)
    {
        const std::int64_t n = x.size(0), c = x.size(1);
        return {n, c, n * c != 0 ? x.numel() / (n * c) : 0};
    }

    struct channel_moments_result
    {
        array mean;            // [c]
        array var;             // [c], biased: the sum of squared deviations / (n * s)
        array var_unbiased;    // [c], the same sum / (n * s - 1): what running_var tracks
    };

    // x: [n, c, ...] with n * s >= 2 -> per-channel mean and variances, two passes (mean,
    // then squared deviations) accumulated in double for both dtypes.
    channel_moments_result channel_moments(const array& x);

    // x: [n, c, ...]; mean, var: [c]; weight, bias: [c] or undefined (1 and 0) ->
    // y = (x - mean) / sqrt(var + eps) * weight + bias, computed as x * scale[ch] + shift[ch]
    // with scale = weight / sqrt(var + eps) and shift = bias - mean * scale formed in double.
    array batch_norm_transform(const array& x, const array& mean, const array& var, const array& weight,
                               const array& bias, double eps);
}
