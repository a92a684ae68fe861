// Conv2d / ConvTranspose2d: configuration checks at construction (so a bad layer fails where
// it is built, not at its first forward), parameter creation and PyTorch's default init.
// Input-dependent checks (ranks, sizes, output_size range) belong to the functional ops.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/layers/conv.hpp>
#include <adjoint/layers/init.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        std::string pair_str(const pair_t& p) { return shape_str({p[0], p[1]}); }

        void require(bool ok, const char* op, const std::string& expectation, const std::string& actual)
        {
            if (!ok)
            {
                throw std::invalid_argument(detail::str(op, ": ", expectation, ", got ", actual));
            }
        }

        bool all_at_least(const pair_t& p, std::int64_t lo) { return p[0] >= lo && p[1] >= lo; }

        // The rules both layers share: positive channel counts divisible by groups, and
        // kernel, stride, dilation >= 1, padding >= 0.
        void check_common(const char* op, std::int64_t in_channels, std::int64_t out_channels, const pair_t& kernel,
                          const pair_t& stride, const pair_t& padding, const pair_t& dilation, std::int64_t groups)
        {
            require(in_channels >= 1 && out_channels >= 1, op, "in_channels and out_channels must be positive",
                    detail::str("in_channels=", in_channels, ", out_channels=", out_channels));
            require(groups >= 1, op, "groups must be positive", detail::str("groups=", groups));
            require(in_channels % groups == 0, op, "in_channels must be divisible by groups",
                    detail::str("in_channels=", in_channels, ", groups=", groups));
            require(out_channels % groups == 0, op, "out_channels must be divisible by groups",
                    detail::str("out_channels=", out_channels, ", groups=", groups));
            require(all_at_least(kernel, 1), op, "kernel_size must be at least 1 in each dimension",
                    "kernel_size " + pair_str(kernel));
            require(all_at_least(stride, 1), op, "stride must be at least 1 in each dimension",
                    "stride " + pair_str(stride));
            require(all_at_least(dilation, 1), op, "dilation must be at least 1 in each dimension",
                    "dilation " + pair_str(dilation));
            require(all_at_least(padding, 0), op, "padding must be non-negative", "padding " + pair_str(padding));
        }

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
        const auto& o = m_options;
        const bool same = o.padding_kind() == conv2d_options::padding_mode::same;
        const pair_t explicit_padding = o.padding_kind() == conv2d_options::padding_mode::explicit_values
                                            ? o.padding()
                                            : pair_t{0, 0};
        check_common("Conv2d", o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), explicit_padding,
                     o.dilation(), o.groups());
        // As in PyTorch: "same" is only defined when the output keeps the input's size.
        require(!same || (o.stride()[0] == 1 && o.stride()[1] == 1), "Conv2d",
                "padding \"same\" needs stride (1, 1); use an explicit padding for strided convolutions",
                "stride " + pair_str(o.stride()));
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
        const auto& o = m_options;
        check_common("ConvTranspose2d", o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), o.padding(),
                     o.dilation(), o.groups());
        const pair_t& op = o.output_padding();
        require(all_at_least(op, 0), "ConvTranspose2d", "output_padding must be non-negative",
                "output_padding " + pair_str(op));
        for (int d = 0; d < 2; ++d)
        {
            // Beyond this the extra rows/columns would receive no input at all (PyTorch's rule).
            require(op[d] < o.stride()[d] || op[d] < o.dilation()[d], "ConvTranspose2d",
                    "output_padding must be smaller than stride or dilation in each dimension",
                    detail::str("output_padding ", pair_str(op), " with stride ", pair_str(o.stride()),
                                " and dilation ", pair_str(o.dilation())));
        }
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
