// conv2d and conv_transpose2d: validation and geometry (core/conv_geometry), the unbatched
// case, and four geometry-level differentiable ops whose backward passes are calls of each
// other. Values are computed by core/conv_kernels; this file holds no index arithmetic.
#include <adjoint/autograd/conv.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/shape_ops.hpp>
#include <adjoint/core/conv_kernels.hpp>

#include <stdexcept>

namespace adjoint
{
    conv2d_options& conv2d_options::padding(const std::string& mode)
    {
        if (mode == "same")
        {
            m_padding = {0, 0};
            m_padding_mode = padding_mode::same;
        }
        else if (mode == "valid")
        {
            m_padding = {0, 0};
            m_padding_mode = padding_mode::valid;
        }
        else
        {
            throw std::invalid_argument(
                detail::str("conv2d: padding must be \"same\", \"valid\" or numbers, got \"", mode, "\""));
        }
        return *this;
    }

    namespace
    {
        void check_size_args(const char* fn, std::int64_t kernel, std::int64_t stride, std::int64_t dilation)
        {
            if (kernel < 1 || stride < 1 || dilation < 1)
            {
                throw std::invalid_argument(detail::str(fn, ": kernel, stride and dilation must be >= 1, got kernel=",
                                                        kernel, ", stride=", stride, ", dilation=", dilation));
            }
        }
    }

    std::int64_t conv2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation)
    {
        check_size_args("conv2d_output_size", kernel, stride, dilation);
        return conv_output_extent(in, kernel, stride, padding, padding, dilation, "conv2d_output_size");
    }

    std::int64_t conv_transpose2d_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                              std::int64_t padding, std::int64_t dilation,
                                              std::int64_t output_padding)
    {
        check_size_args("conv_transpose2d_output_size", kernel, stride, dilation);
        return conv_transpose_output_extent(in, kernel, stride, padding, dilation, output_padding,
                                            "conv_transpose2d_output_size");
    }
}

namespace adjoint::detail
{
    namespace
    {
        // A fused op's output gradient through its relu (the mask read off the saved output);
        // the plain ops' passes through unchanged.
        Tensor through_relu(const Tensor& g, const array& y, bool relu) { return relu ? relu_grad(g, y) : g; }
    }

    Tensor conv2d_geom(const Tensor& x, const Tensor& weight, const Tensor& bias, const conv_geometry& g, bool relu)
    {
        array y = kernels::conv_forward(x.data(), weight.data(), g, bias.defined() ? bias.data() : array(), relu);
        // Keep only what backward will read: x for the weight gradient, weight for the input
        // gradient, and the output for a relu's mask.
        const Tensor x_kept = weight.requires_grad() ? x : Tensor();
        const Tensor w_kept = x.requires_grad() ? weight : Tensor();
        const array y_kept = relu ? y : array();
        saves saved = saves::nothing();
        saved.inputs = (x_kept.defined() ? 1u : 0u) | (w_kept.defined() ? 2u : 0u);
        saved.output = relu;
        return record(
            std::move(y), relu ? "conv2d_relu" : "conv2d", {x, weight, bias},
            [x_kept, w_kept, y_kept, relu, g](const Tensor& gy_out, const std::vector<bool>& needs) -> tensor_list
            {
                const Tensor gy = through_relu(gy_out, y_kept, relu);
                return {needs[0] ? conv_transpose2d_geom(gy, w_kept, Tensor(), g) : Tensor(),
                        needs[1] ? conv2d_weight_grad(x_kept, gy, g) : Tensor(), needs[2] ? channel_sum(gy) : Tensor()};
            },
            saved);
    }

    Tensor conv_transpose2d_geom(const Tensor& y, const Tensor& weight, const Tensor& bias, const conv_geometry& g,
                                 bool relu)
    {
        array x = kernels::conv_input_grad(y.data(), weight.data(), g);
        kernels::add_channel_bias_(x, bias.defined() ? bias.data() : array(), relu);   // one pass for both
        const Tensor y_kept = weight.requires_grad() ? y : Tensor();
        const Tensor w_kept = y.requires_grad() ? weight : Tensor();
        const array x_out = relu ? x : array();
        saves saved = saves::nothing();
        saved.inputs = (y_kept.defined() ? 1u : 0u) | (w_kept.defined() ? 2u : 0u);
        saved.output = relu;
        return record(
            std::move(x), relu ? "conv_transpose2d_relu" : "conv_transpose2d", {y, weight, bias},
            [y_kept, w_kept, x_out, relu, g](const Tensor& gx_out, const std::vector<bool>& needs) -> tensor_list
            {
                // The upstream gradient lives on the image side, so it takes the
                // convolution's input role in the weight gradient.
                const Tensor gx = through_relu(gx_out, x_out, relu);
                return {needs[0] ? conv2d_geom(gx, w_kept, Tensor(), g) : Tensor(),
                        needs[1] ? conv2d_weight_grad(gx, y_kept, g) : Tensor(), needs[2] ? channel_sum(gx) : Tensor()};
            },
            saved);
    }

    Tensor conv2d_weight_grad(const Tensor& x, const Tensor& gy, const conv_geometry& g)
    {
        // <G, conv2d_weight_grad(x, gy)> = <conv2d(x, G), gy> for every weight-shaped G, so the
        // gradients of this bilinear map are the two conv ops with G as their weight.
        const Tensor x_kept = gy.requires_grad() ? x : Tensor();
        const Tensor gy_kept = x.requires_grad() ? gy : Tensor();
        return record(kernels::conv_weight_grad(x.data(), gy.data(), g), "conv2d_weight_grad", {x, gy},
                      [x_kept, gy_kept, g](const Tensor& gw, const std::vector<bool>& needs) -> tensor_list {
                          return {needs[0] ? conv_transpose2d_geom(gy_kept, gw, Tensor(), g) : Tensor(),
                                  needs[1] ? conv2d_geom(x_kept, gw, Tensor(), g) : Tensor()};
                      });
    }

    Tensor channel_sum(const Tensor& g)
    {
        return record(kernels::channel_sum(g.data()), "channel_sum", {g},
                      [gs = g.shape()](const Tensor& gb, const std::vector<bool>&) -> tensor_list {
                          shape_t column(gs.size(), 1);
                          column[1] = gs[1];
                          return {expand(reshape(gb, column), gs)};
                      },
                      saves::nothing());
    }
}

namespace adjoint
{
    namespace
    {
        std::optional<shape_t> bias_shape(const Tensor& bias)
        {
            return bias.defined() ? std::optional<shape_t>(bias.shape()) : std::nullopt;
        }

        // Runs a batched op on a possibly unbatched [C, H, W] input by adding and removing the
        // batch axis with (differentiable) reshapes.
        template <class F>
        Tensor with_batch_axis(const Tensor& x, F&& batched_op)
        {
            if (x.dim() == 4)
            {
                return batched_op(x);
            }
            Tensor y = batched_op(reshape(x, {1, x.size(0), x.size(1), x.size(2)}));
            return reshape(y, {y.size(1), y.size(2), y.size(3)});
        }
    }

    namespace
    {
        Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const conv2d_options& options,
                         bool relu)
        {
            if (!x.defined() || !weight.defined())
            {
                throw std::invalid_argument("conv2d: expected defined input and weight tensors, got an undefined one");
            }
            detail::check_same_dtype("conv2d", {x, weight, bias});
            conv2d_params p;
            p.stride = options.stride();
            p.padding = options.padding();
            p.dilation = options.dilation();
            p.groups = options.groups();
            p.same_padding = options.padding_kind() == conv2d_options::padding_mode::same;
            const conv_geometry g = conv2d_geometry(x.shape(), weight.shape(), bias_shape(bias), p);
            return with_batch_axis(x, [&](const Tensor& xb) { return detail::conv2d_geom(xb, weight, bias, g, relu); });
        }

        Tensor conv_transpose2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                   const conv_transpose2d_options& options, std::optional<pair_t> output_size,
                                   bool relu)
        {
            if (!x.defined() || !weight.defined())
            {
                throw std::invalid_argument(
                    "conv_transpose2d: expected defined input and weight tensors, got an undefined one");
            }
            detail::check_same_dtype("conv_transpose2d", {x, weight, bias});
            conv_transpose2d_params p;
            p.stride = options.stride();
            p.padding = options.padding();
            p.output_padding = options.output_padding();
            p.dilation = options.dilation();
            p.groups = options.groups();
            p.output_size = output_size;
            const conv_geometry g = conv_transpose2d_geometry(x.shape(), weight.shape(), bias_shape(bias), p);
            return with_batch_axis(x, [&](const Tensor& xb)
                                   { return detail::conv_transpose2d_geom(xb, weight, bias, g, relu); });
        }
    } // namespace

    Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const conv2d_options& options)
    {
        return conv2d_op(x, weight, bias, options, false);
    }

    Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const conv_transpose2d_options& options, std::optional<pair_t> output_size)
    {
        return conv_transpose2d_op(x, weight, bias, options, output_size, false);
    }

    Tensor detail::conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               const conv2d_options& options)
    {
        return conv2d_op(x, weight, bias, options, true);
    }

    Tensor detail::conv_transpose2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                         const conv_transpose2d_options& options)
    {
        return conv_transpose2d_op(x, weight, bias, options, std::nullopt, true);
    }
}
