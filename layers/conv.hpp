// Conv2d and ConvTranspose2d layers: PyTorch-style options builders, parameters `weight`
// and `bias` with PyTorch's default initialisation, checked when the layer is built.
// forward() calls autograd's conv2d / conv_transpose2d; the maths and the shape checks
// that need the input live there, not here.
#pragma once
#include <adjoint/autograd/conv.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>
#include <string>

namespace adjoint
{
    // Conv2dOptions(3, 16, 3).stride(2).padding(1); a kernel pair is Conv2dOptions(3, 16, {3, 5}).
    // Setters return *this; getters share the name, as in PyTorch's C++ frontend.
    class Conv2dOptions
    {
    public:
        Conv2dOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
            : Conv2dOptions(in_channels, out_channels, pair_t{kernel_size, kernel_size})
        {
        }
        Conv2dOptions(std::int64_t in_channels, std::int64_t out_channels, pair_t kernel_size)
            : m_in_channels(in_channels), m_out_channels(out_channels), m_kernel_size(kernel_size)
        {
        }

        Conv2dOptions& stride(std::int64_t s) { m_functional.stride(s); return *this; }
        Conv2dOptions& stride(std::int64_t h, std::int64_t w) { m_functional.stride(h, w); return *this; }
        Conv2dOptions& padding(std::int64_t p) { m_functional.padding(p); return *this; }
        Conv2dOptions& padding(std::int64_t h, std::int64_t w) { m_functional.padding(h, w); return *this; }
        Conv2dOptions& padding(const std::string& mode) { m_functional.padding(mode); return *this; }   // "same", "valid"
        Conv2dOptions& dilation(std::int64_t d) { m_functional.dilation(d); return *this; }
        Conv2dOptions& dilation(std::int64_t h, std::int64_t w) { m_functional.dilation(h, w); return *this; }
        Conv2dOptions& groups(std::int64_t g) { m_functional.groups(g); return *this; }
        Conv2dOptions& bias(bool on) { m_bias = on; return *this; }

        std::int64_t in_channels() const { return m_in_channels; }
        std::int64_t out_channels() const { return m_out_channels; }
        const pair_t& kernel_size() const { return m_kernel_size; }
        const pair_t& stride() const { return m_functional.stride(); }
        const pair_t& padding() const { return m_functional.padding(); }   // meaningful for explicit padding
        conv2d_options::padding_mode padding_kind() const { return m_functional.padding_kind(); }
        const pair_t& dilation() const { return m_functional.dilation(); }
        std::int64_t groups() const { return m_functional.groups(); }
        bool bias() const { return m_bias; }

        // The options of the functional conv2d this layer calls.
        const conv2d_options& functional() const { return m_functional; }

    private:
        std::int64_t m_in_channels, m_out_channels;
        pair_t m_kernel_size;
        conv2d_options m_functional;
        bool m_bias = true;
    };

    class ConvTranspose2dOptions
    {
    public:
        ConvTranspose2dOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
            : ConvTranspose2dOptions(in_channels, out_channels, pair_t{kernel_size, kernel_size})
        {
        }
        ConvTranspose2dOptions(std::int64_t in_channels, std::int64_t out_channels, pair_t kernel_size)
            : m_in_channels(in_channels), m_out_channels(out_channels), m_kernel_size(kernel_size)
        {
        }

        ConvTranspose2dOptions& stride(std::int64_t s) { m_functional.stride(s); return *this; }
        ConvTranspose2dOptions& stride(std::int64_t h, std::int64_t w) { m_functional.stride(h, w); return *this; }
        ConvTranspose2dOptions& padding(std::int64_t p) { m_functional.padding(p); return *this; }
        ConvTranspose2dOptions& padding(std::int64_t h, std::int64_t w) { m_functional.padding(h, w); return *this; }
        ConvTranspose2dOptions& output_padding(std::int64_t p) { m_functional.output_padding(p); return *this; }
        ConvTranspose2dOptions& output_padding(std::int64_t h, std::int64_t w)
        {
            m_functional.output_padding(h, w);
            return *this;
        }
        ConvTranspose2dOptions& dilation(std::int64_t d) { m_functional.dilation(d); return *this; }
        ConvTranspose2dOptions& dilation(std::int64_t h, std::int64_t w) { m_functional.dilation(h, w); return *this; }
        ConvTranspose2dOptions& groups(std::int64_t g) { m_functional.groups(g); return *this; }
        ConvTranspose2dOptions& bias(bool on) { m_bias = on; return *this; }

        std::int64_t in_channels() const { return m_in_channels; }
        std::int64_t out_channels() const { return m_out_channels; }
        const pair_t& kernel_size() const { return m_kernel_size; }
        const pair_t& stride() const { return m_functional.stride(); }
        const pair_t& padding() const { return m_functional.padding(); }
        const pair_t& output_padding() const { return m_functional.output_padding(); }
        const pair_t& dilation() const { return m_functional.dilation(); }
        std::int64_t groups() const { return m_functional.groups(); }
        bool bias() const { return m_bias; }

        const conv_transpose2d_options& functional() const { return m_functional; }

    private:
        std::int64_t m_in_channels, m_out_channels;
        pair_t m_kernel_size;
        conv_transpose2d_options m_functional;
        bool m_bias = true;
    };

    // weight: [C_out, C_in/groups, kH, kW]; bias: [C_out] (undefined with bias(false)).
    class Conv2d : public Module
    {
    public:
        explicit Conv2d(const Conv2dOptions& options);   // std::invalid_argument on a bad configuration

        Tensor forward(const Tensor& x);   // x: [N, C_in, H, W] or [C_in, H, W]
        Tensor operator()(const Tensor& x) { return forward(x); }
        // relu(forward(x)), as one op with the relu applied in the convolution's output pass
        // where no graph is recorded (inference); the same values either way. Sequential
        // calls it for a Conv2d followed by a ReLU.
        Tensor forward_relu(const Tensor& x);
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;

        const Conv2dOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }
        Tensor bias() const { return m_bias; }
        // Redraws weight and bias as torch.nn.Conv2d does: kaiming_uniform_(a = sqrt(5)) and
        // uniform in +-1/sqrt(fan_in).
        void reset_parameters();

    private:
        Conv2dOptions m_options;
        Tensor m_weight, m_bias;
    };

    // weight: [C_in, C_out/groups, kH, kW]; bias: [C_out] (undefined with bias(false)).
    class ConvTranspose2d : public Module
    {
    public:
        explicit ConvTranspose2d(const ConvTranspose2dOptions& options);

        // Uses the configured output_padding; this is the overload Sequential calls.
        Tensor forward(const Tensor& x);
        // Picks the output_padding that gives output_size (H, W), which must lie between the
        // minimum output size and minimum + stride - 1 (PyTorch's rule); the configured
        // output_padding is ignored for this call, so it is checked only by the overload above.
        Tensor forward(const Tensor& x, const pair_t& output_size);
        Tensor operator()(const Tensor& x) { return forward(x); }
        Tensor operator()(const Tensor& x, const pair_t& output_size) { return forward(x, output_size); }
        // relu(forward(x)), as one op (bias and relu in one pass) where no graph is recorded
        // (inference). Sequential calls it for a ConvTranspose2d followed by a ReLU.
        Tensor forward_relu(const Tensor& x);
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;

        const ConvTranspose2dOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }
        Tensor bias() const { return m_bias; }
        // As torch.nn.ConvTranspose2d: the fans come from the weight's shape, so fan_in is
        // (C_out/groups) * kH * kW here.
        void reset_parameters();

    private:
        ConvTranspose2dOptions m_options;
        Tensor m_weight, m_bias;
    };
}
