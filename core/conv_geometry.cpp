// Convolution size rules and argument validation (see conv_geometry.hpp). Each message
// says what was expected, what was given and, for sizes, the formula with the numbers in.
#include <adjoint/core/conv_geometry.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace adjoint
{
    namespace
    {
        const char* const k_dim_name[2] = {"height", "width"};
        const char* const k_in_name[2] = {"H", "W"};
        const char* const k_kernel_name[2] = {"kH", "kW"};

        // Size arithmetic is done in 128 bits, where products and sums of a few int64 values
        // cannot overflow; a result is only narrowed back after checking that it fits.
        using wide = __int128;

        bool fits(wide v)
        {
            return v >= std::numeric_limits<std::int64_t>::min() && v <= std::numeric_limits<std::int64_t>::max();
        }

        wide floor_div(wide a, wide b)
        {
            const wide q = a / b;
            return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
        }

        std::string wide_str(wide v)
        {
            if (fits(v))
            {
                return std::to_string(static_cast<std::int64_t>(v));
            }
            const bool negative = v < 0;
            std::string digits;
            for (; v != 0; v /= 10)
            {
                const int d = static_cast<int>(v % 10);
                digits.insert(digits.begin(), static_cast<char>('0' + (d < 0 ? -d : d)));
            }
            return (negative ? "-" : "") + digits;
        }

        // "the padded input height" / "the padded input" when no dimension is named.
        std::string term(const char* what, const char* dim)
        {
            return detail::str("the ", what, dim ? " " : "", dim ? dim : "");
        }

        [[noreturn]] void too_large(const char* op, const char* param, const std::string& value,
                                    const std::string& what)
        {
            throw std::invalid_argument(
                detail::str(op, ": ", param, "=", value, " is too large: ", what, " does not fit in int64"));
        }

        std::string pair_str(const pair_t& p) { return detail::str("(", p[0], ", ", p[1], ")"); }

        // "2*1" for symmetric padding, "1 + 2" for the asymmetric 'same' of an even kernel.
        std::string pad_sum_str(std::int64_t pad_begin, std::int64_t pad_end)
        {
            return pad_begin == pad_end ? detail::str("2*", pad_begin) : detail::str(pad_begin, " + ", pad_end);
        }

        // "floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((5 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 3"
        std::string conv_formula(int dim, std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pad_begin,
                                 std::int64_t pad_end, std::int64_t d)
        {
            const std::string pad_sym = pad_begin == pad_end ? "2*padding" : "pad_begin + pad_end";
            return detail::str("floor((", k_in_name[dim], " + ", pad_sym, " - dilation*(", k_kernel_name[dim],
                               "-1) - 1) / stride) + 1 = floor((", in, " + ", pad_sum_str(pad_begin, pad_end), " - ", d,
                               "*(", k, "-1) - 1) / ",
                               s, ") + 1 = ", conv_output_extent(in, k, s, pad_begin, pad_end, d));
        }

        // "(H_in-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1 = (3-1)*2 - 2*0 + 1*(3-1) + 1 + 1 = 8"
        // With op < 0 the output_padding term is left out: the minimum size that output_size starts from.
        std::string transpose_formula(int dim, std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p,
                                      std::int64_t d, std::int64_t op)
        {
            const bool with_op = op >= 0;
            return detail::str("(", k_in_name[dim], "_in-1)*stride - 2*padding + dilation*(", k_kernel_name[dim],
                               "-1)", with_op ? " + output_padding" : "", " + 1 = (", in, "-1)*", s, " - 2*", p, " + ",
                               d, "*(", k, "-1)", with_op ? detail::str(" + ", op) : std::string(), " + 1 = ",
                               conv_transpose_output_extent(in, k, s, p, d, with_op ? op : 0));
        }

        // The checks both ops share: ranks, kernel extent, hyper-parameter ranges.
        void check_common(const char* op, const shape_t& x, const shape_t& weight, const char* weight_layout,
                          const pair_t& stride, const pair_t& padding, const pair_t& dilation, std::int64_t groups)
        {
            if (x.size() != 3 && x.size() != 4)
            {
                throw std::invalid_argument(detail::str(op, ": expected an input of rank 4 (N, C_in, H, W) or 3 (C_in, H, W), got shape ",
                                                        shape_str(x), " (rank ", x.size(), ")"));
            }
            if (weight.size() != 4)
            {
                throw std::invalid_argument(detail::str(op, ": expected a weight of rank 4 ", weight_layout,
                                                        ", got shape ", shape_str(weight), " (rank ", weight.size(),
                                                        ")"));
            }
            // Output channels sit at dimension 0 of a convolution's weight and 1 of a transposed
            // one's. Zero of them would silently give an empty output; PyTorch refuses too.
            const std::size_t out_dim = std::string(weight_layout).rfind("(C_out", 0) == 0 ? 0 : 1;
            if (weight[out_dim] < 1)
            {
                throw std::invalid_argument(detail::str(op, ": expected a weight with at least 1 output channel (weight.shape[",
                                                        out_dim, "] >= 1), got weight shape ", shape_str(weight)));
            }
            check_conv_hyperparameters(op, {weight[2], weight[3]}, stride, padding, dilation, groups, &weight);
        }

        void check_bias(const char* op, const std::optional<shape_t>& bias, std::int64_t c_out)
        {
            if (bias && *bias != shape_t{c_out})
            {
                throw std::invalid_argument(detail::str(op, ": expected a bias of shape ", shape_str({c_out}),
                                                        " (one value per output channel), got shape ",
                                                        shape_str(*bias)));
            }
        }

        // The window walk of conv_runs.hpp: stride, leading padding and dilation per dimension.
        void set_window(conv_geometry& g, const pair_t& stride, const pair_t& pad_begin, const pair_t& dilation)
        {
            g.stride_h = stride[0];
            g.stride_w = stride[1];
            g.pad_top = pad_begin[0];
            g.pad_left = pad_begin[1];
            g.dilation_h = dilation[0];
            g.dilation_w = dilation[1];
        }

        conv_geometry base_geometry(const shape_t& x, const shape_t& weight, std::int64_t groups)
        {
            const bool batched = x.size() == 4;
            conv_geometry g;
            g.n = batched ? x[0] : 1;
            g.kh = weight[2];
            g.kw = weight[3];
            g.groups = groups;
            g.c_in = x[batched ? 1 : 0];
            g.h = x[batched ? 2 : 1];
            g.w = x[batched ? 3 : 2];
            return g;
        }
    }

    void check_conv_hyperparameters(const char* op, const pair_t& kernel, const pair_t& stride, const pair_t& padding,
                                    const pair_t& dilation, std::int64_t groups, const shape_t* weight)
    {
        if (kernel[0] < 1 || kernel[1] < 1)
        {
            throw std::invalid_argument(detail::str(op, ": kernel_size must be >= 1 in each dimension, got kernel_size=",
                                                    pair_str(kernel),
                                                    weight ? detail::str(" (weight shape ", shape_str(*weight), ")")
                                                           : std::string()));
        }
        if (stride[0] < 1 || stride[1] < 1)
        {
            throw std::invalid_argument(detail::str(op, ": stride must be >= 1 in each dimension, got stride=",
                                                    pair_str(stride)));
        }
        if (dilation[0] < 1 || dilation[1] < 1)
        {
            throw std::invalid_argument(detail::str(op, ": dilation must be >= 1 in each dimension, got dilation=",
                                                    pair_str(dilation), " (1 means an undilated kernel)"));
        }
        if (padding[0] < 0 || padding[1] < 0)
        {
            throw std::invalid_argument(detail::str(op, ": padding must be >= 0 in each dimension, got padding=",
                                                    pair_str(padding)));
        }
        if (groups < 1)
        {
            throw std::invalid_argument(detail::str(op, ": groups must be >= 1, got groups=", groups));
        }
    }

    void check_same_padding_stride(const char* op, const pair_t& stride)
    {
        if (stride[0] != 1 || stride[1] != 1)
        {
            throw std::invalid_argument(detail::str(
                op, ": padding='same' needs stride 1 (as in PyTorch), got stride=", pair_str(stride),
                "; use explicit padding with a stride, e.g. padding=dilation*(kernel-1)/2 for an odd kernel"));
        }
    }

    void check_conv_channels(const char* op, std::int64_t in_channels, std::int64_t out_channels, std::int64_t groups)
    {
        if (in_channels < 1 || out_channels < 1)
        {
            throw std::invalid_argument(detail::str(op, ": in_channels and out_channels must be >= 1, got in_channels=",
                                                    in_channels, ", out_channels=", out_channels));
        }
        if (groups < 1)
        {
            throw std::invalid_argument(detail::str(op, ": groups must be >= 1, got groups=", groups));
        }
        for (auto [name, count] : {std::pair<const char*, std::int64_t>{"in_channels", in_channels},
                                   std::pair<const char*, std::int64_t>{"out_channels", out_channels}})
        {
            if (count % groups != 0)
            {
                throw std::invalid_argument(detail::str(op, ": ", name, "=", count, " must be divisible by groups=",
                                                        groups));
            }
        }
    }

    std::int64_t conv_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad_begin,
                                    std::int64_t pad_end, std::int64_t dilation, const char* op, const char* dim)
    {
        const wide dilated = wide(dilation) * (wide(kernel) - 1) + 1;
        if (!fits(dilated))
        {
            too_large(op, "dilation", std::to_string(dilation),
                      detail::str(term("dilated kernel", dim), " ", dilation, "*(", kernel, "-1) + 1"));
        }
        const wide padded = wide(in) + pad_begin + pad_end;
        if (!fits(padded))
        {
            too_large(op, "padding",
                      pad_begin == pad_end ? std::to_string(pad_begin) : detail::str("(", pad_begin, " + ", pad_end, ")"),
                      detail::str(term("padded input", dim), " ", in, " + ", pad_sum_str(pad_begin, pad_end)));
        }
        const wide out = floor_div(padded - dilated, stride) + 1;
        if (!fits(out))
        {
            throw std::invalid_argument(detail::str(op, ": the output size ", wide_str(out), " does not fit in int64"));
        }
        return static_cast<std::int64_t>(out);
    }

    std::int64_t conv_transpose_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                              std::int64_t padding, std::int64_t dilation, std::int64_t output_padding,
                                              const char* op, const char* dim)
    {
        // Each term named after the parameter that makes it large, then their sum.
        const wide strided = (wide(in) - 1) * stride;
        if (!fits(strided))
        {
            too_large(op, "stride", std::to_string(stride),
                      detail::str(term("strided input", dim), " (", in, "-1)*", stride));
        }
        const wide pad2 = wide(padding) * 2;
        if (!fits(pad2))
        {
            too_large(op, "padding", std::to_string(padding), detail::str(term("total padding", dim), " 2*", padding));
        }
        const wide dilated = wide(dilation) * (wide(kernel) - 1);
        if (!fits(dilated))
        {
            too_large(op, "dilation", std::to_string(dilation),
                      detail::str(term("dilated kernel", dim), " ", dilation, "*(", kernel, "-1)"));
        }
        const wide out = strided - pad2 + dilated + output_padding + 1;
        if (!fits(out))
        {
            throw std::invalid_argument(detail::str(op, ": the output size (", in, "-1)*", stride, " - 2*", padding,
                                                    " + ", dilation, "*(", kernel, "-1) + ", output_padding,
                                                    " + 1 = ", wide_str(out),
                                                    " does not fit in int64; reduce the stride or the dilation"));
        }
        return static_cast<std::int64_t>(out);
    }

    conv_geometry conv2d_geometry(const shape_t& x, const shape_t& weight, const std::optional<shape_t>& bias_shape,
                                  const conv2d_params& p)
    {
        const char* op = "conv2d";
        check_common(op, x, weight, "(C_out, C_in/groups, kH, kW)", p.stride, p.padding, p.dilation, p.groups);
        if (p.same_padding)
        {
            check_same_padding_stride(op, p.stride);
        }
        conv_geometry g = base_geometry(x, weight, p.groups);
        g.c_out = weight[0];
        if (g.c_in % p.groups != 0)
        {
            throw std::invalid_argument(detail::str(op, ": input channels C_in=", g.c_in, " must be divisible by groups=",
                                                    p.groups, ", got input shape ", shape_str(x),
                                                    "; choose groups dividing both C_in=", g.c_in, " and C_out=",
                                                    g.c_out));
        }
        if (g.c_out % p.groups != 0)
        {
            throw std::invalid_argument(detail::str(op, ": output channels C_out=weight.shape[0]=", g.c_out,
                                                    " must be divisible by groups=", p.groups, ", got weight shape ",
                                                    shape_str(weight), "; choose groups dividing both C_in=", g.c_in,
                                                    " and C_out=", g.c_out));
        }
        if (weight[1] * p.groups != g.c_in)
        {
            throw std::invalid_argument(detail::str(
                op, ": weight of shape ", shape_str(weight), " expects C_in = weight.shape[1]*groups = ", weight[1],
                "*", p.groups, " = ", weight[1] * p.groups, " input channels, got input shape ", shape_str(x),
                " with C_in=", g.c_in, "; the weight must be (C_out, C_in/groups, kH, kW) = (", g.c_out, ", ",
                g.c_in / p.groups, ", ", g.kh, ", ", g.kw, ")"));
        }
        check_bias(op, bias_shape, g.c_out);

        const std::int64_t in[2] = {g.h, g.w}, k[2] = {g.kh, g.kw};
        std::int64_t pad_begin[2], pad_end[2], out[2];
        for (int dim = 0; dim < 2; ++dim)
        {
            if (p.same_padding)
            {
                // PyTorch puts the odd one of an odd total at the end (bottom/right).
                const wide dilated = wide(p.dilation[dim]) * (k[dim] - 1);
                if (!fits(dilated + 1))
                {
                    too_large(op, "dilation", std::to_string(p.dilation[dim]),
                              detail::str(term("dilated kernel", k_dim_name[dim]), " ", p.dilation[dim], "*(", k[dim],
                                          "-1) + 1"));
                }
                const auto total = static_cast<std::int64_t>(dilated);
                pad_begin[dim] = total / 2;
                pad_end[dim] = total - total / 2;
            }
            else
            {
                pad_begin[dim] = pad_end[dim] = p.padding[dim];
            }
            out[dim] =
                conv_output_extent(in[dim], k[dim], p.stride[dim], pad_begin[dim], pad_end[dim], p.dilation[dim], op,
                                   k_dim_name[dim]);
        }
        for (int dim = 0; dim < 2; ++dim)
        {
            if (out[dim] < 1)
            {
                throw std::invalid_argument(detail::str(
                    op, ": expected the dilated kernel to fit in the padded input, got input shape ", shape_str(x),
                    " and weight shape ", shape_str(weight), ": padded input ", k_dim_name[dim], " ", in[dim], " + ",
                    pad_sum_str(pad_begin[dim], pad_end[dim]), " = ", in[dim] + pad_begin[dim] + pad_end[dim],
                    " < dilated kernel ", k_dim_name[dim], " ", p.dilation[dim], "*(", k[dim], "-1) + 1 = ",
                    p.dilation[dim] * (k[dim] - 1) + 1, ", so output ", k_dim_name[dim], " = ",
                    conv_formula(dim, in[dim], k[dim], p.stride[dim], pad_begin[dim], pad_end[dim], p.dilation[dim]),
                    "; use more padding, a smaller kernel or dilation, or a larger input"));
            }
        }
        g.h_out = out[0];
        g.w_out = out[1];
        set_window(g, p.stride, {pad_begin[0], pad_begin[1]}, p.dilation);
        return g;
    }

    conv_geometry conv_transpose2d_geometry(const shape_t& x, const shape_t& weight,
                                            const std::optional<shape_t>& bias_shape,
                                            const conv_transpose2d_params& p)
    {
        const char* op = "conv_transpose2d";
        check_common(op, x, weight, "(C_in, C_out/groups, kH, kW)", p.stride, p.padding, p.dilation, p.groups);
        // The transposed op's input plays the convolution's output: read its sizes into h_out, w_out.
        const conv_geometry in_geom = base_geometry(x, weight, p.groups);
        conv_geometry g = in_geom;
        g.c_out = in_geom.c_in;
        g.h_out = in_geom.h;
        g.w_out = in_geom.w;
        if (weight[0] != g.c_out)
        {
            throw std::invalid_argument(detail::str(op, ": weight of shape ", shape_str(weight),
                                                    " expects C_in = weight.shape[0] = ", weight[0],
                                                    " input channels, got input shape ", shape_str(x), " with C_in=",
                                                    g.c_out, "; the weight must be (C_in, C_out/groups, kH, kW) = (",
                                                    g.c_out, ", C_out/groups, ", g.kh, ", ", g.kw, ")"));
        }
        if (g.c_out % p.groups != 0)
        {
            throw std::invalid_argument(detail::str(op, ": input channels C_in=", g.c_out,
                                                    " must be divisible by groups=", p.groups, ", got input shape ",
                                                    shape_str(x), "; choose groups dividing C_in=", g.c_out));
        }
        g.c_in = weight[1] * p.groups;
        check_bias(op, bias_shape, g.c_in);

        const std::int64_t in[2] = {g.h_out, g.w_out}, k[2] = {g.kh, g.kw};
        if (p.output_padding[0] < 0 || p.output_padding[1] < 0)
        {
            throw std::invalid_argument(detail::str(op, ": output_padding must be >= 0 in each dimension, got output_padding=",
                                                    pair_str(p.output_padding)));
        }
        pair_t output_padding = p.output_padding;
        if (p.output_size)
        {
            const pair_t& want = *p.output_size;
            for (int dim = 0; dim < 2; ++dim)
            {
                const std::int64_t lo =
                    conv_transpose_output_extent(in[dim], k[dim], p.stride[dim], p.padding[dim], p.dilation[dim], 0,
                                                 op, k_dim_name[dim]);
                const wide hi = wide(lo) + p.stride[dim] - 1;   // may pass int64's maximum
                if (want[dim] < lo || want[dim] > hi)
                {
                    throw std::invalid_argument(detail::str(
                        op, ": output_size must lie within the reachable range, got output_size=", pair_str(want),
                        " for input shape ", shape_str(x), " and weight shape ", shape_str(weight), ": the ",
                        k_dim_name[dim], " must be in [", lo, ", ", wide_str(hi), "], where minimum = ",
                        transpose_formula(dim, in[dim], k[dim], p.stride[dim], p.padding[dim], p.dilation[dim], -1),
                        " and maximum = minimum + stride - 1 = ", lo, " + ", p.stride[dim], " - 1 = ", wide_str(hi)));
                }
                output_padding[dim] = want[dim] - lo;
            }
        }
        else
        {
            for (int dim = 0; dim < 2; ++dim)
            {
                const std::int64_t op_v = output_padding[dim], s = p.stride[dim], d = p.dilation[dim];
                if (op_v >= s && op_v >= d)
                {
                    const bool by_stride = s >= d;
                    const bool square = output_padding[0] == output_padding[1] && p.stride[0] == p.stride[1] &&
                                        p.dilation[0] == p.dilation[1];
                    throw std::invalid_argument(detail::str(
                        op, ": output_padding must be smaller than stride or dilation, got output_padding=",
                        pair_str(output_padding), " with stride=", pair_str(p.stride), " and dilation=",
                        pair_str(p.dilation), "; set output_padding=", std::max(s, d) - 1,
                        square ? "" : detail::str(" for the ", k_dim_name[dim]), " (must be < ",
                        by_stride ? "stride=" : "dilation=", by_stride ? s : d, ") or pass output_size"));
                }
            }
        }
        std::int64_t out[2];
        for (int dim = 0; dim < 2; ++dim)
        {
            out[dim] = conv_transpose_output_extent(in[dim], k[dim], p.stride[dim], p.padding[dim], p.dilation[dim],
                                                    output_padding[dim], op, k_dim_name[dim]);
            if (out[dim] < 1)
            {
                throw std::invalid_argument(detail::str(
                    op, ": expected a positive output size, got input shape ", shape_str(x), " and weight shape ",
                    shape_str(weight), " giving output ", k_dim_name[dim], " = ",
                    transpose_formula(dim, in[dim], k[dim], p.stride[dim], p.padding[dim], p.dilation[dim],
                                      output_padding[dim]),
                    "; reduce the padding (", p.padding[dim], ") or use a larger input or kernel"));
            }
        }
        g.h = out[0];
        g.w = out[1];
        set_window(g, p.stride, p.padding, p.dilation);
        return g;
    }

    std::int64_t pool_output_extent(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation, bool ceil_mode, const char* op, const char* dim)
    {
        // The floor rule is the convolution's (which also checks the terms fit in int64).
        const std::int64_t floor_out = conv_output_extent(in, kernel, stride, padding, padding, dilation, op, dim);
        if (!ceil_mode)
        {
            return floor_out;
        }
        const wide span = wide(in) + 2 * wide(padding) - (wide(dilation) * (wide(kernel) - 1) + 1);
        wide out = floor_div(span + stride - 1, stride) + 1;
        if ((out - 1) * stride >= wide(in) + padding)
        {
            --out;   // the last window would start in the right padding
        }
        if (!fits(out))
        {
            throw std::invalid_argument(detail::str(op, ": the output size ", wide_str(out), " does not fit in int64"));
        }
        return static_cast<std::int64_t>(out);
    }

    namespace
    {
        // "floor((W + 2*padding - dilation*(kW-1) - 1) / stride) + 1 = floor((3 + 2*0 - 1*(5-1) - 1) / 1) + 1 = -1",
        // "ceil(...)" with ceil_mode.
        std::string pool_formula(int dim, std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p,
                                 std::int64_t d, bool ceil_mode)
        {
            const char* round = ceil_mode ? "ceil" : "floor";
            return detail::str(round, "((", k_in_name[dim], " + 2*padding - dilation*(", k_kernel_name[dim],
                               "-1) - 1) / stride) + 1 = ", round, "((", in, " + 2*", p, " - ", d, "*(", k, "-1) - 1) / ",
                               s, ") + 1 = ", pool_output_extent(in, k, s, p, d, ceil_mode));
        }
    }

    conv_geometry pool2d_geometry(const shape_t& x, const pool2d_params& p, const char* op)
    {
        if (x.size() != 3 && x.size() != 4)
        {
            throw std::invalid_argument(detail::str(op, ": expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape ",
                                                    shape_str(x), " (rank ", x.size(), ")"));
        }
        const bool batched = x.size() == 4;
        if (std::any_of(x.begin() + (batched ? 1 : 0), x.end(), [](std::int64_t d) { return d == 0; }))
        {
            throw std::invalid_argument(detail::str(op, ": expected C, H and W of at least 1 (only the batch N may be 0), got shape ",
                                                    shape_str(x)));
        }
        const struct
        {
            const char* name;
            const pair_t& value;
        } at_least_one[] = {{"kernel_size", p.kernel_size}, {"stride", p.stride}, {"dilation", p.dilation}};
        for (const auto& arg : at_least_one)
        {
            if (arg.value[0] < 1 || arg.value[1] < 1)
            {
                throw std::invalid_argument(detail::str(op, ": ", arg.name, " must be >= 1 in each dimension, got ",
                                                        arg.name, "=", pair_str(arg.value)));
            }
        }
        if (p.padding[0] < 0 || p.padding[1] < 0)
        {
            throw std::invalid_argument(detail::str(op, ": padding must be >= 0 in each dimension, got padding=",
                                                    pair_str(p.padding)));
        }
        for (int dim = 0; dim < 2; ++dim)
        {
            // PyTorch 1.13's rule uses the kernel size, not the dilated extent, so that every
            // window overlaps the input in the undilated case.
            if (p.padding[dim] > p.kernel_size[dim] / 2)
            {
                throw std::invalid_argument(detail::str(
                    op, ": padding must be at most half of kernel_size in each dimension, got padding=",
                    pair_str(p.padding), " and kernel_size=", pair_str(p.kernel_size), " (", k_dim_name[dim], ": ",
                    p.padding[dim], " > floor(", p.kernel_size[dim], "/2) = ", p.kernel_size[dim] / 2, ")"));
            }
        }
        conv_geometry g;
        g.n = batched ? x[0] : 1;
        g.c_in = g.c_out = x[batched ? 1 : 0];
        g.h = x[batched ? 2 : 1];
        g.w = x[batched ? 3 : 2];
        g.kh = p.kernel_size[0];
        g.kw = p.kernel_size[1];
        const std::int64_t in[2] = {g.h, g.w};
        std::int64_t out[2];
        for (int dim = 0; dim < 2; ++dim)
        {
            out[dim] = pool_output_extent(in[dim], p.kernel_size[dim], p.stride[dim], p.padding[dim], p.dilation[dim],
                                          p.ceil_mode, op, k_dim_name[dim]);
            if (out[dim] < 1)
            {
                throw std::invalid_argument(detail::str(
                    op, ": expected the pooling window to fit in the padded input, got input shape ", shape_str(x),
                    " with kernel_size=", pair_str(p.kernel_size), ", stride=", pair_str(p.stride), ", padding=",
                    pair_str(p.padding), " and dilation=", pair_str(p.dilation), ": output ", k_dim_name[dim], " = ",
                    pool_formula(dim, in[dim], p.kernel_size[dim], p.stride[dim], p.padding[dim], p.dilation[dim],
                                 p.ceil_mode),
                    "; use a smaller kernel_size or dilation, more padding, or a larger input"));
            }
        }
        g.h_out = out[0];
        g.w_out = out[1];
        set_window(g, p.stride, p.padding, p.dilation);
        return g;
    }
}
