// Resampling kernels behind interpolate: the source-index rules of nearest and bilinear
// upsampling (PyTorch 1.13's, including its float32 arithmetic for nearest), bilinear's
// forward and its adjoint. Nearest itself is a gather through the index map built here
// (kernels::gather_planes in pool_kernels.hpp), and its gradient the matching scatter-add.
// No autograd and no argument checking: autograd/interpolate.cpp validates user input.
//
// Shape legend: x [..., h, w] -> y [..., h_out, w_out]; every leading axis counts planes.
#pragma once
#include <adjoint/core/array.hpp>

#include <cstdint>
#include <optional>

namespace adjoint::kernels
{
    // How one dimension is resampled: sizes, and the user's scale factor when the output size
    // came from one (PyTorch then uses 1/scale for the source positions, not in/out).
    struct resample_dim
    {
        std::int64_t in = 1, out = 1;
        std::optional<double> scale;
    };

    // int64 [1, h_out*w_out]: the flat source position ih*w + iw of each output, with
    // ih = min(floor(oh * s), h-1) in float32, s = 1/scale or h/h_out (and the same for w).
    array nearest_index_map(const resample_dim& h, const resample_dim& w);

    // Bilinear interpolation between the four neighbours of each source position
    // (align_corners: src = o*(in-1)/(out-1); else src = max((o+0.5)/scale - 0.5, 0)).
    array upsample_bilinear2d(const array& x, const resample_dim& h, const resample_dim& w, bool align_corners);
    // Its adjoint: each gy spread onto the same four neighbours with the same weights.
    array upsample_bilinear2d_backward(const array& gy, const resample_dim& h, const resample_dim& w,
                                       bool align_corners, const shape_t& x_shape);
}
