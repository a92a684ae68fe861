// Pooling kernels: max pooling (values and argmax indices), average pooling and its adjoint,
// adaptive average pooling and its adjoint, and the per-plane gather / scatter-add pair that
// max pooling's and nearest upsampling's gradients are made of. Max and average pooling are
// driven by the convolution's tap walker (conv_runs.hpp) over a pooling geometry
// (pool2d_geometry); they hold no stride / padding / dilation arithmetic of their own. No
// autograd and no argument checking: autograd/pooling.cpp validates user input.
//
// Shape legend: a "plane" is one [h, w] image of one channel of one sample; every leading
// axis counts planes, so [n, c, h, w] and unbatched [c, h, w] are the same to these kernels.
//   x       [..., h, w]                     planes = x.numel() / (h*w)
//   y, gy   [..., h_out, w_out]             P = h_out * w_out per plane
//   index   int64 [planes, P] or [1, P]     flat position ih*w + iw inside x's plane
//                                           (one map shared by every plane when [1, P]); -1
//                                           marks an output that reads nothing (value 0)
#pragma once
#include <adjoint/core/array.hpp>
#include <adjoint/core/conv_geometry.hpp>

#include <cstdint>

namespace adjoint::kernels
{
    struct max_pool_result
    {
        array values;    // [..., h_out, w_out], x's dtype
        array indices;   // [..., h_out, w_out], int64: flat ih*w + iw within the plane
    };

    // Max over each window; padding is never picked. Ties go to the first maximum in window
    // scan order (rows, then columns), NaN wins over every number and a later NaN over an
    // earlier one (PyTorch's CPU rule `v > best || isnan(v)`). A window lying wholly in the
    // padding (possible with dilation) gives -inf and index -1.
    max_pool_result max_pool2d(const array& x, const conv_geometry& g);

    // How avg_pool2d divides each window's sum: by the window's extent clipped to the padded
    // input (count_include_pad), or to the input alone, or by a fixed divisor (override != 0).
    struct avg_pool_divisor
    {
        bool count_include_pad = true;
        std::int64_t divisor_override = 0;   // 0: none; PyTorch allows negative ones
    };

    // y = window sums / divisor; and its adjoint, gx [..., h, w] (x_shape) = each gy / divisor
    // added to every position of its window.
    array avg_pool2d(const array& x, const conv_geometry& g, const avg_pool_divisor& d);
    array avg_pool2d_backward(const array& gy, const conv_geometry& g, const avg_pool_divisor& d,
                              const shape_t& x_shape);

    // Window (i, j) covers rows [floor(i*h/h_out), ceil((i+1)*h/h_out)) and the same for
    // columns; y is its mean. The backward spreads gy / area over the window (adjoint).
    array adaptive_avg_pool2d(const array& x, std::int64_t h_out, std::int64_t w_out);
    array adaptive_avg_pool2d_backward(const array& gy, const shape_t& x_shape);

    // y[plane, p] = x[plane, index[plane or 0, p]] -> [..., h_out, w_out]; and its adjoint,
    // gx [..., h, w] (x_shape) with gx[plane, index[., p]] += g[plane, p].
    array gather_planes(const array& x, const array& index, std::int64_t h_out, std::int64_t w_out);
    array scatter_add_planes(const array& g, const array& index, const shape_t& x_shape);
}
