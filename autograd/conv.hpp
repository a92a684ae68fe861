// conv2d and conv_transpose2d with PyTorch's semantics, and their output-size rules.
// The two are adjoint linear maps sharing one set of kernels (core/conv_kernels.hpp):
// each one's input gradient is a call of the other's forward.
#pragma once
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/core/conv_geometry.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace adjoint
{
    using pair_t = std::array<std::int64_t, 2>;   // (height, width)

    // Options for conv2d; setters return *this so calls chain, getters share the name:
    // conv2d_options().stride(2).padding(1).groups(4).
    class conv2d_options
    {
    public:
        enum class padding_mode
        {
            explicit_values, same, valid
        };

        conv2d_options& stride(std::int64_t s) { return stride(s, s); }
        conv2d_options& stride(std::int64_t h, std::int64_t w) { m_stride = {h, w}; return *this; }
        conv2d_options& padding(std::int64_t p) { return padding(p, p); }
        conv2d_options& padding(std::int64_t h, std::int64_t w)
        {
            m_padding = {h, w};
            m_padding_mode = padding_mode::explicit_values;
            return *this;
        }
        conv2d_options& padding(const std::string& mode);   // "same" or "valid", as PyTorch allows
        conv2d_options& dilation(std::int64_t d) { return dilation(d, d); }
        conv2d_options& dilation(std::int64_t h, std::int64_t w) { m_dilation = {h, w}; return *this; }
        conv2d_options& groups(std::int64_t g) { m_groups = g; return *this; }

        const pair_t& stride() const { return m_stride; }
        const pair_t& padding() const { return m_padding; }
        padding_mode padding_kind() const { return m_padding_mode; }
        const pair_t& dilation() const { return m_dilation; }
        std::int64_t groups() const { return m_groups; }

    private:
        pair_t m_stride{1, 1}, m_padding{0, 0}, m_dilation{1, 1};
        padding_mode m_padding_mode = padding_mode::explicit_values;
        std::int64_t m_groups = 1;
    };

    class conv_transpose2d_options
    {
    public:
        conv_transpose2d_options& stride(std::int64_t s) { return stride(s, s); }
        conv_transpose2d_options& stride(std::int64_t h, std::int64_t w) { m_stride = {h, w}; return *this; }
        conv_transpose2d_options& padding(std::int64_t p) { return padding(p, p); }
        conv_transpose2d_options& padding(std::int64_t h, std::int64_t w) { m_padding = {h, w}; return *this; }
        conv_transpose2d_options& output_padding(std::int64_t p) { return output_padding(p, p); }
        conv_transpose2d_options& output_padding(std::int64_t h, std::int64_t w) { m_output_padding = {h, w}; return *this; }
        conv_transpose2d_options& dilation(std::int64_t d) { return dilation(d, d); }
        conv_transpose2d_options& dilation(std::int64_t h, std::int64_t w) { m_dilation = {h, w}; return *this; }
        conv_transpose2d_options& groups(std::int64_t g) { m_groups = g; return *this; }

        const pair_t& stride() const { return m_stride; }
        const pair_t& padding() const { return m_padding; }
        const pair_t& output_padding() const { return m_output_padding; }
        const pair_t& dilation() const { return m_dilation; }
        std::int64_t groups() const { return m_groups; }

    private:
        pair_t m_stride{1, 1}, m_padding{0, 0}, m_output_padding{0, 0}, m_dilation{1, 1};
        std::int64_t m_groups = 1;
    };

    // floor((in + 2*padding - dilation*(kernel-1) - 1) / stride) + 1, per dimension.
    std::int64_t conv2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation);
    // (in - 1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1, per dimension.
    std::int64_t conv_transpose2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                              std::int64_t padding, std::int64_t dilation,
                                              std::int64_t output_padding = 0);

    // x: [N, C_in, H, W] or unbatched [C_in, H, W]; weight: [C_out, C_in/groups, kH, kW];
    // bias: [C_out] or undefined. Returns [N, C_out, H_out, W_out] (or unbatched).
    Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                  const conv2d_options& options = {});

    // x: [N, C_in, H, W] or [C_in, H, W]; weight: [C_in, C_out/groups, kH, kW]; bias: [C_out].
    // output_size (H, W), when given, picks the output_padding (PyTorch's rule: it must lie
    // within [minimum size, minimum size + stride - 1] per dimension) and overrides the option.
    Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                            const conv_transpose2d_options& options = {},
                            std::optional<pair_t> output_size = std::nullopt);

    // The geometry-level differentiable ops the public functions are made of, exposed so that
    // tests can hold the backward passes to their promise. x, y: 4-d; bias may be undefined.
    // conv2d_geom's input gradient is conv_transpose2d_geom and the other way round; both
    // weight gradients are conv2d_weight_grad (the transposed one with image and output
    // gradient swapped); both bias gradients are channel_sum.
    //
    // With relu, an op is relu(op(...)) recorded as one node ("conv2d_relu",
    // "conv_transpose2d_relu"): the relu is applied in the convolution's output pass, the
    // pre-activation never exists, and the backward masks the output gradient with the
    // (saved) output before the op's own backward. Values and gradients are those of the two
    // ops one after the other. Sequential runs a Conv2d or ConvTranspose2d followed by a ReLU
    // through conv2d_relu / conv_transpose2d_relu.
    namespace detail
    {
        Tensor conv2d_geom(const Tensor& x, const Tensor& weight, const Tensor& bias, const conv_geometry& g,
                           bool relu = false);
        Tensor conv_transpose2d_geom(const Tensor& y, const Tensor& weight, const Tensor& bias,
                                     const conv_geometry& g, bool relu = false);
        Tensor conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const conv2d_options& options);
        Tensor conv_transpose2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                     const conv_transpose2d_options& options);
        // The weight gradient of conv2d_geom(x, ., g) for output gradient gy: bilinear in (x, gy).
        Tensor conv2d_weight_grad(const Tensor& x, const Tensor& gy, const conv_geometry& g);
        // [n, c, ...] -> [c]: the bias gradient of both ops.
        Tensor channel_sum(const Tensor& g);
    }
}
