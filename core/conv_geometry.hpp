// Convolution geometry: the sizes every conv kernel works with, the two output-size rules
// and the validation of user arguments against them (messages name the op, the shapes, the
// rule and the fix). Pooling windows are convolution taps without weights, so the pooling
// output-size rule (with ceil_mode) and its validation live here too, and pooling is driven
// by the same walker (conv_runs.hpp). Pure integer arithmetic: no values, no gradients, no
// kernels here.
#pragma once
#include <adjoint/core/shape.hpp>

#include <array>
#include <cstdint>
#include <optional>

namespace adjoint
{
    using pair_t = std::array<std::int64_t, 2>;   // (height, width); also declared by autograd/conv.hpp

    // Everything is described from the convolution's point of view. A transposed convolution
    // is the input gradient of a convolution, so it is described by that convolution:
    // its input is the `output` below and its output is the `image`.
    //
    //   image   [n, c_in, h, w]                  conv input / transposed-conv output
    //   output  [n, c_out, h_out, w_out]         conv output / transposed-conv input
    //   weight  [c_out, c_in / groups, kh, kw]   conv weight; the transposed op's weight
    //                                            [C_in, C_out/groups, kH, kW] is the same array
    //
    // Image row ih = oh*stride_h - pad_top + ki*dilation_h (and the same for columns): padding
    // at the bottom/right is implied by h_out and h, which are always explicit, so asymmetric
    // 'same' padding and output_padding need no extra fields.
    struct conv_geometry
    {
        std::int64_t n = 0, c_in = 0, h = 0, w = 0;
        std::int64_t c_out = 0, kh = 0, kw = 0, h_out = 0, w_out = 0;
        std::int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
        std::int64_t dilation_h = 1, dilation_w = 1, groups = 1;

        shape_t image_shape() const { return {n, c_in, h, w}; }
        shape_t output_shape() const { return {n, c_out, h_out, w_out}; }
        shape_t weight_shape() const { return {c_out, c_in / groups, kh, kw}; }
    };

    // The size rules, per dimension. Division rounds towards minus infinity, so a too-large
    // kernel gives a size below 1. The arithmetic is exact (128-bit): when an argument makes a
    // term or the result unrepresentable in int64, they throw std::invalid_argument
    // "<op>: <parameter>=<value> is too large: <term> does not fit in int64", with `dim`
    // ("height" / "width") naming the dimension when given.
    std::int64_t conv_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad_begin,
                                    std::int64_t pad_end, std::int64_t dilation, const char* op = "conv_output_extent",
                                    const char* dim = nullptr);
    std::int64_t conv_transpose_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                              std::int64_t padding, std::int64_t dilation,
                                              std::int64_t output_padding,
                                              const char* op = "conv_transpose_output_extent",
                                              const char* dim = nullptr);

    // The configuration rules of every convolution, written once and used by the functional
    // ops (on the weight's kernel) and by the Conv2d / ConvTranspose2d layers (when built):
    // kernel, stride, dilation >= 1, padding >= 0, groups >= 1. `weight`, when given, is named
    // in the kernel message. std::invalid_argument prefixed with `op`.
    void check_conv_hyperparameters(const char* op, const pair_t& kernel, const pair_t& stride, const pair_t& padding,
                                    const pair_t& dilation, std::int64_t groups, const shape_t* weight = nullptr);
    // padding='same' is defined for stride 1 only (PyTorch's rule).
    void check_same_padding_stride(const char* op, const pair_t& stride);
    // A layer's channel counts: >= 1 and divisible by groups.
    void check_conv_channels(const char* op, std::int64_t in_channels, std::int64_t out_channels, std::int64_t groups);

    struct conv2d_params
    {
        pair_t stride{1, 1}, padding{0, 0}, dilation{1, 1};
        std::int64_t groups = 1;
        bool same_padding = false;   // PyTorch's padding='same': output size = input size, stride 1
    };

    struct conv_transpose2d_params
    {
        pair_t stride{1, 1}, padding{0, 0}, output_padding{0, 0}, dilation{1, 1};
        std::int64_t groups = 1;
        std::optional<pair_t> output_size;   // overrides output_padding when given
    };

    // Validate (x, weight, bias) shapes against the params and return the geometry, with n = 1
    // for an unbatched [C, H, W] input. Every failure is a std::invalid_argument naming the op
    // ("conv2d" / "conv_transpose2d"); bias_shape is nullopt when there is no bias.
    conv_geometry conv2d_geometry(const shape_t& x, const shape_t& weight, const std::optional<shape_t>& bias_shape,
                                  const conv2d_params& params);
    conv_geometry conv_transpose2d_geometry(const shape_t& x, const shape_t& weight,
                                            const std::optional<shape_t>& bias_shape,
                                            const conv_transpose2d_params& params);

    // The pooling size rule, per dimension (PyTorch's): floor((in + 2*pad - dilation*(kernel-1)
    // - 1) / stride) + 1, or with ceil_mode the same rounded up, minus one when that last window
    // would start in the right padding (it must start inside the input or the left padding).
    // Same 128-bit arithmetic and too-large errors as conv_output_extent.
    std::int64_t pool_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation, bool ceil_mode, const char* op = "pool_output_extent",
                                    const char* dim = nullptr);

    struct pool2d_params
    {
        pair_t kernel_size{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
        bool ceil_mode = false;
    };

    // Validate a pooling input [N, C, H, W] (N may be 0) or [C, H, W] against the params, as
    // PyTorch 1.13 does, and return the geometry of the windows as a convolution's taps:
    // n = N (1 unbatched), c_in = c_out = C, kh, kw = kernel_size; weights play no part.
    // Every failure is a std::invalid_argument naming `op` ("max_pool2d", "avg_pool2d").
    conv_geometry pool2d_geometry(const shape_t& x, const pool2d_params& params, const char* op);
}
