// The direct path for convolutions with one input channel per group (depthwise, possibly
// with a channel multiplier c_out / c_in): there the im2col + GEMM path degenerates into
// [c_out/g, kh*kw] x [kh*kw, P] products, mostly BLAS call overhead. Same contracts as the
// kernels in conv_kernels.hpp (which choose this path); no argument checking here.
#pragma once
#include <adjoint/core/array.hpp>
#include <adjoint/core/conv_geometry.hpp>

namespace adjoint::kernels::conv_detail
{
    // Whether the direct path applies (c_in == groups) and is the faster one.
    bool use_depthwise(const conv_geometry& g);

    // Shapes as in conv_kernels.hpp; weight [c_out, 1, kh, kw]. Every output is overwritten.
    void depthwise_forward(const array& x, const array& weight, array& y, const conv_geometry& g);
    void depthwise_input_grad(const array& gy, const array& weight, array& gx, const conv_geometry& g);
    void depthwise_weight_grad(const array& x, const array& gy, array& gw, const conv_geometry& g);
}
