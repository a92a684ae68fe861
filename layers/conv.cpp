// Conv2d / ConvTranspose2d: configuration checks at construction (so a bad layer fails where
// it is built, not at its first forward), parameter creation and PyTorch's default init.
// Input-dependent checks (ranks, sizes, output_size range) belong to the functional ops.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/conv.hpp>
#include <adjoint/layers/init.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        std::string pair_str(const pair_t& p) { return shape_str({p[0], p[1]}); }

        // torch.nn's reset_parameters for both conv layers: the weight's own shape decides fan_in.
        void reset_like_torch(const Tensor& weight, const Tensor& bias)
        {
            init::kaiming_uniform_(weight, std::sqrt(5.0));
            if (bias.defined())
            {
                const double bound = 1.0 / std::sqrt(static_cast<double>(
                                               init::calculate_fan_in_and_fan_out(weight.shape()).fan_in));
                init::uniform_(bias, -bound, bound);
            }
        }
    }

    Conv2d::Conv2d(const Conv2dOptions& options) : m_options(options)
    {
        // The same rules, in the same words, as the functional conv2d (core/conv_geometry), so
        // that a bad layer fails where it is built rather than at its first forward.
        const auto& o = m_options;
        const pair_t explicit_padding = o.padding_kind() == conv2d_options::padding_mode::explicit_values
                                            ? o.padding()
                                            : pair_t{0, 0};
        check_conv_channels("Conv2d", o.in_channels(), o.out_channels(), o.groups());
        check_conv_hyperparameters("Conv2d", o.kernel_size(), o.stride(), explicit_padding, o.dilation(), o.groups());
        if (o.padding_kind() == conv2d_options::padding_mode::same)
        {
            check_same_padding_stride("Conv2d", o.stride());
        }
        m_weight = register_parameter(
            "weight", zeros({o.out_channels(), o.in_channels() / o.groups(), o.kernel_size()[0], o.kernel_size()[1]}));
        m_bias = register_parameter("bias", o.bias() ? zeros({o.out_channels()}) : Tensor());
        reset_parameters();
    }

    void Conv2d::reset_parameters() { reset_like_torch(m_weight, m_bias); }

    Tensor Conv2d::forward(const Tensor& x)
    {
        return guarded([&] { return conv2d(x, m_weight, m_bias, m_options.functional()); });
    }

    namespace
    {
        // Whether a conv call on these tensors would record a graph. forward_relu fuses only
        // where it would not (inference): in training the fused node's backward keeps the
        // upstream gradient alive next to its masked copy while the convolution's backward
        // runs (TinySeg: +8 MiB of peak memory), and the step measured no faster.
        bool records_graph(const Tensor& x, const Tensor& weight, const Tensor& bias)
        {
            return is_grad_enabled() &&
                   (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
        }
    }

    Tensor Conv2d::forward_relu(const Tensor& x)
    {
        if (records_graph(x, m_weight, m_bias))
        {
            return relu(forward(x));
        }
        return guarded([&] { return detail::conv2d_relu(x, m_weight, m_bias, m_options.functional()); });
    }

    std::shared_ptr<Module> Conv2d::clone() const { return clone_into(*this, std::make_shared<Conv2d>(m_options)); }

    namespace
    {
        // torch.nn's _ConvNd.extra_repr: defaults are left out.
        std::string conv_repr(std::int64_t in, std::int64_t out, const pair_t& k, const pair_t& s, const std::string& pad,
                              bool pad_default, const pair_t* output_padding, const pair_t& d, std::int64_t groups,
                              bool bias)
        {
            std::string r = detail::str(in, ", ", out, ", kernel_size=", pair_str(k), ", stride=", pair_str(s));
            if (!pad_default)
            {
                r += ", padding=" + pad;
            }
            if (d != pair_t{1, 1})
            {
                r += ", dilation=" + pair_str(d);
            }
            if (output_padding && *output_padding != pair_t{0, 0})
            {
                r += ", output_padding=" + pair_str(*output_padding);
            }
            if (groups != 1)
            {
                r += detail::str(", groups=", groups);
            }
            if (!bias)
            {
                r += ", bias=False";
            }
            return r;
        }
    }

    std::string Conv2d::extra_repr() const
    {
        const auto& o = m_options;
        using mode = conv2d_options::padding_mode;
        const bool explicit_pad = o.padding_kind() == mode::explicit_values;
        const std::string pad = explicit_pad ? pair_str(o.padding()) : (o.padding_kind() == mode::same ? "same" : "valid");
        const bool pad_default = explicit_pad ? o.padding() == pair_t{0, 0} : o.padding_kind() == mode::valid;
        return conv_repr(o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), pad, pad_default, nullptr,
                         o.dilation(), o.groups(), o.bias());
    }

    ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& options) : m_options(options)
    {
        // output_padding is checked by the functional op, and only when forward(x) uses it:
        // forward(x, output_size) ignores it, as torch.nn.ConvTranspose2d does.
        const auto& o = m_options;
        check_conv_channels("ConvTranspose2d", o.in_channels(), o.out_channels(), o.groups());
        check_conv_hyperparameters("ConvTranspose2d", o.kernel_size(), o.stride(), o.padding(), o.dilation(),
                                   o.groups());
        m_weight = register_parameter(
            "weight", zeros({o.in_channels(), o.out_channels() / o.groups(), o.kernel_size()[0], o.kernel_size()[1]}));
        m_bias = register_parameter("bias", o.bias() ? zeros({o.out_channels()}) : Tensor());
        reset_parameters();
    }

    void ConvTranspose2d::reset_parameters() { reset_like_torch(m_weight, m_bias); }

    Tensor ConvTranspose2d::forward(const Tensor& x)
    {
        return guarded([&] { return conv_transpose2d(x, m_weight, m_bias, m_options.functional()); });
    }

    Tensor ConvTranspose2d::forward(const Tensor& x, const pair_t& output_size)
    {
        return guarded([&] { return conv_transpose2d(x, m_weight, m_bias, m_options.functional(), output_size); });
    }

    Tensor ConvTranspose2d::forward_relu(const Tensor& x)
    {
        if (records_graph(x, m_weight, m_bias))
        {
            return relu(forward(x));
        }
        return guarded([&] { return detail::conv_transpose2d_relu(x, m_weight, m_bias, m_options.functional()); });
    }

    std::shared_ptr<Module> ConvTranspose2d::clone() const
    {
        return clone_into(*this, std::make_shared<ConvTranspose2d>(m_options));
    }

    std::string ConvTranspose2d::extra_repr() const
    {
        const auto& o = m_options;
        return conv_repr(o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), pair_str(o.padding()),
                         o.padding() == pair_t{0, 0}, &o.output_padding(), o.dilation(), o.groups(), o.bias());
    }
}
