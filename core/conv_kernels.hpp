// The three convolution kernels every conv op is built from — forward (im2col + GEMM), input
// gradient (GEMM + col2im into an explicitly sized image) and weight gradient — plus the
// per-channel bias add and the channel sum (bias gradient). No autograd and no argument
// checking beyond consistency with the geometry: autograd/conv.cpp validates user input.
// Convolutions with one input channel per group (depthwise) skip im2col and GEMM: see
// conv_depthwise.hpp; the results are the same up to rounding.
//
// Shape legend (see conv_geometry.hpp; g = groups, K = c_in/g * kh * kw, P = h_out * w_out):
//   x / image   [n, c_in, h, w]
//   y / output  [n, c_out, h_out, w_out]
//   weight      [c_out, c_in/g, kh, kw], read per group as a matrix W_g [c_out/g, K]
//   columns     [c_in * kh * kw, P] per sample, group gi owning rows [gi*K, (gi+1)*K)
#pragma once
#include <adjoint/core/array.hpp>
#include <adjoint/core/conv_geometry.hpp>

namespace adjoint::kernels
{
    // y = conv(x, weight) (+ bias[c] when bias, [c_out], is given; then max(y, 0) when relu):
    // per sample and group y_g[c_out/g, P] = W_g @ col_g[K, P]. oneDNN's primitive adds the
    // bias and applies the relu in its own pass over the output; the other paths do both in
    // one pass afterwards (add_channel_bias_).
    array conv_forward(const array& x, const array& weight, const conv_geometry& g, const array& bias = array(),
                       bool relu = false);

    // The adjoint of conv_forward in x (also the transposed convolution's forward):
    // col_g[K, P] = W_g^T @ gy_g, scattered back (summing overlaps) into an image of the
    // geometry's h, w. gy: [n, c_out, h_out, w_out] -> [n, c_in, h, w].
    array conv_input_grad(const array& gy, const array& weight, const conv_geometry& g);

    // The adjoint of conv_forward in weight: gw_g[c_out/g, K] = sum over samples of
    // gy_g @ col_g^T. x: [n, c_in, h, w], gy: [n, c_out, h_out, w_out] -> [c_out, c_in/g, kh, kw].
    array conv_weight_grad(const array& x, const array& gy, const conv_geometry& g);

    // y[:, c, ...] += bias[c] in place, then y = max(y, 0) when relu (NaN stays NaN, as
    // relu's); y: [n, c, ...] freshly made by the caller, bias: [c] or undefined for none.
    void add_channel_bias_(array& y, const array& bias, bool relu = false);

    // The bias gradient: sum over every axis but axis 1. g: [n, c, ...] -> [c].
    array channel_sum(const array& g);

    // Which implementation the three kernels above run. `fast` (the default): samples split
    // over the threads, float32 GEMMs through oneDNN when built with it, the weight gradient
    // summed in a fixed split of the batch (results independent of the thread count).
    // `reference`: the plain loop over samples, one im2col + GEMM after the other, BLAS
    // threaded inside each GEMM. Process-wide; tests switch it to check one against the other.
    enum class conv_path
    {
        fast,
        reference
    };
    void set_conv_path(conv_path path);
    conv_path get_conv_path();
}
