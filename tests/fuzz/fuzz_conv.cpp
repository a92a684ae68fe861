// libFuzzer target: conv2d and conv_transpose2d with random shapes and options. For every
// configuration PyTorch accepts (decided here, independently of the library) the result
// must equal a plain direct loop and backward must run; every configuration PyTorch
// rejects must raise std::invalid_argument. Anything else aborts.
//
// Shape legend: x (n, c_in, h, w); conv weight (c_out, c_in/groups, kh, kw); transposed
// weight (c_in, c_out/groups, kh, kw); output (n, c_out, h_out, w_out).
#include "fuzz_input.hpp"

#include <adjoint/autograd/ops.hpp>

#include <cmath>
#include <vector>

using namespace adjoint;

namespace
{
    struct config
    {
        bool transpose = false, batched = true, same = false;
        std::int64_t n = 1, c_in = 1, h = 1, w = 1, w0 = 1, w1 = 1, kh = 1, kw = 1;
        std::int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, oph = 0, opw = 0, groups = 1;
        int bias = 0;   // 0 none, 1 right length, 2 one too long
    };

    config read_config(adjoint_fuzz::byte_reader& in)
    {
        config c;
        c.transpose = in.flag();
        c.batched = in.next() % 4 != 0;
        c.n = in.in(1, 2);
        c.groups = in.in(0, 4);
        const std::int64_t g = c.groups > 0 ? c.groups : 1;
        // Mostly consistent channel counts, sometimes not.
        const bool consistent = in.next() % 8 != 0;
        const std::int64_t per_group_in = in.in(1, 3);
        c.c_in = consistent ? per_group_in * g : in.in(1, 6);
        c.w0 = c.transpose ? (consistent ? c.c_in : in.in(1, 6)) : in.in(1, 3) * g + (consistent ? 0 : in.in(0, 1));
        c.w1 = c.transpose ? in.in(1, 3) : (consistent ? per_group_in : in.in(1, 6));
        c.h = in.in(1, 9);
        c.w = in.in(1, 9);
        c.kh = in.in(1, 4);
        c.kw = in.in(1, 4);
        c.sh = in.in(0, 3);
        c.sw = in.in(0, 3);
        c.ph = in.in(-1, 3);
        c.pw = in.in(-1, 3);
        c.dh = in.in(0, 3);
        c.dw = in.in(0, 3);
        c.oph = in.in(-1, 2);
        c.opw = in.in(-1, 2);
        c.same = !c.transpose && in.next() % 6 == 0;
        c.bias = static_cast<int>(in.in(0, 2));
        return c;
    }

    std::int64_t c_out_of(const config& c) { return c.transpose ? c.w1 * c.groups : c.w0; }

    // PyTorch's rules, written out here rather than asked of the library.
    bool accepted(const config& c)
    {
        if (c.sh < 1 || c.sw < 1 || c.dh < 1 || c.dw < 1 || c.groups < 1 || (!c.same && (c.ph < 0 || c.pw < 0)))
        {
            return false;
        }
        if (c.bias == 2)
        {
            return false;
        }
        if (c.transpose)
        {
            if (c.oph < 0 || c.opw < 0 || (c.oph >= c.sh && c.oph >= c.dh) || (c.opw >= c.sw && c.opw >= c.dw))
            {
                return false;
            }
            if (c.w0 != c.c_in || c.c_in % c.groups != 0)
            {
                return false;
            }
            return (c.h - 1) * c.sh - 2 * c.ph + c.dh * (c.kh - 1) + c.oph + 1 >= 1 &&
                   (c.w - 1) * c.sw - 2 * c.pw + c.dw * (c.kw - 1) + c.opw + 1 >= 1;
        }
        if (c.same && (c.sh != 1 || c.sw != 1))
        {
            return false;
        }
        if (c.w1 * c.groups != c.c_in || c.w0 % c.groups != 0)
        {
            return false;
        }
        if (c.same)
        {
            return true;
        }
        return c.h + 2 * c.ph >= c.dh * (c.kh - 1) + 1 && c.w + 2 * c.pw >= c.dw * (c.kw - 1) + 1;
    }

    std::vector<double> values(std::int64_t count, std::uint32_t seed)
    {
        std::vector<double> v(static_cast<std::size_t>(count));
        for (auto& x : v)
        {
            seed = seed * 1664525u + 1013904223u;
            x = static_cast<double>(seed >> 8) / static_cast<double>(1u << 24) - 0.5;
        }
        return v;
    }

    // The direct loops. x, weight, bias flat; returns (n, c_out, h_out, w_out) flat.
    std::vector<double> reference(const config& c, const std::vector<double>& x, const std::vector<double>& wt,
                                  const std::vector<double>& b, std::int64_t h_out, std::int64_t w_out)
    {
        const std::int64_t c_out = c_out_of(c), g = c.groups;
        std::vector<double> y(static_cast<std::size_t>(c.n * c_out * h_out * w_out), 0.0);
        auto at_y = [&](std::int64_t n, std::int64_t o, std::int64_t i, std::int64_t j) -> double& {
            return y[static_cast<std::size_t>(((n * c_out + o) * h_out + i) * w_out + j)];
        };
        auto at_x = [&](std::int64_t n, std::int64_t ch, std::int64_t i, std::int64_t j) {
            return x[static_cast<std::size_t>(((n * c.c_in + ch) * c.h + i) * c.w + j)];
        };
        auto at_w = [&](std::int64_t a, std::int64_t bb, std::int64_t i, std::int64_t j) {
            return wt[static_cast<std::size_t>(((a * c.w1 + bb) * c.kh + i) * c.kw + j)];
        };
        std::int64_t top = c.ph, left = c.pw;
        if (c.same)
        {
            top = c.dh * (c.kh - 1) / 2;   // PyTorch puts the odd extra row and column last
            left = c.dw * (c.kw - 1) / 2;
        }
        const std::int64_t cig = c.c_in / g;
        for (std::int64_t n = 0; n < c.n; ++n)
        {
            if (!c.transpose)
            {
                const std::int64_t cog = c_out / g;
                for (std::int64_t o = 0; o < c_out; ++o)
                    for (std::int64_t i = 0; i < h_out; ++i)
                        for (std::int64_t j = 0; j < w_out; ++j)
                        {
                            double s = b.empty() ? 0.0 : b[static_cast<std::size_t>(o)];
                            for (std::int64_t ic = 0; ic < cig; ++ic)
                                for (std::int64_t p = 0; p < c.kh; ++p)
                                    for (std::int64_t q = 0; q < c.kw; ++q)
                                    {
                                        const std::int64_t ih = i * c.sh - top + p * c.dh;
                                        const std::int64_t iw = j * c.sw - left + q * c.dw;
                                        if (ih >= 0 && ih < c.h && iw >= 0 && iw < c.w)
                                        {
                                            s += at_x(n, (o / cog) * cig + ic, ih, iw) * at_w(o, ic, p, q);
                                        }
                                    }
                            at_y(n, o, i, j) = s;
                        }
                continue;
            }
            for (std::int64_t o = 0; o < c_out; ++o)
                for (std::int64_t i = 0; i < h_out; ++i)
                    for (std::int64_t j = 0; j < w_out; ++j)
                    {
                        at_y(n, o, i, j) = b.empty() ? 0.0 : b[static_cast<std::size_t>(o)];
                    }
            for (std::int64_t ch = 0; ch < c.c_in; ++ch)
                for (std::int64_t ih = 0; ih < c.h; ++ih)
                    for (std::int64_t iw = 0; iw < c.w; ++iw)
                        for (std::int64_t oc = 0; oc < c.w1; ++oc)
                            for (std::int64_t p = 0; p < c.kh; ++p)
                                for (std::int64_t q = 0; q < c.kw; ++q)
                                {
                                    const std::int64_t i = ih * c.sh - c.ph + p * c.dh;
                                    const std::int64_t j = iw * c.sw - c.pw + q * c.dw;
                                    if (i >= 0 && i < h_out && j >= 0 && j < w_out)
                                    {
                                        at_y(n, (ch / cig) * c.w1 + oc, i, j) += at_x(n, ch, ih, iw) * at_w(ch, oc, p, q);
                                    }
                                }
        }
        return y;
    }

    [[noreturn]] void finding(const config& c, const std::string& what)
    {
        std::fprintf(stderr,
                     "fuzz_conv: %s\n  transpose=%d batched=%d n=%ld c_in=%ld h=%ld w=%ld weight=(%ld, %ld, %ld, %ld) "
                     "stride=(%ld, %ld) padding=(%ld, %ld)%s dilation=(%ld, %ld) output_padding=(%ld, %ld) groups=%ld "
                     "bias=%d\n",
                     what.c_str(), c.transpose, c.batched, (long)c.n, (long)c.c_in, (long)c.h, (long)c.w, (long)c.w0,
                     (long)c.w1, (long)c.kh, (long)c.kw, (long)c.sh, (long)c.sw, (long)c.ph, (long)c.pw,
                     c.same ? " same" : "", (long)c.dh, (long)c.dw, (long)c.oph, (long)c.opw, (long)c.groups, c.bias);
        std::abort();
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    adjoint_fuzz::byte_reader in(data, size);
    config c = read_config(in);
    if (!c.batched)
    {
        c.n = 1;
    }
    const std::int64_t c_out = c_out_of(c);
    const std::vector<double> xv = values(c.n * c.c_in * c.h * c.w, 1);
    const std::vector<double> wv = values(c.w0 * c.w1 * c.kh * c.kw, 2);
    const std::vector<double> bv = c.bias == 0 ? std::vector<double>() : values(c_out + (c.bias == 2 ? 1 : 0), 3);
    const shape_t x_shape = c.batched ? shape_t{c.n, c.c_in, c.h, c.w} : shape_t{c.c_in, c.h, c.w};
    const Tensor x = Tensor(array::from_values(xv, x_shape, float64)).requires_grad_();
    const Tensor wt = Tensor(array::from_values(wv, {c.w0, c.w1, c.kh, c.kw}, float64)).requires_grad_();
    const Tensor b = bv.empty() ? Tensor()
                                : Tensor(array::from_values(bv, {static_cast<std::int64_t>(bv.size())}, float64));

    const bool ok = accepted(c);
    Tensor y;
    try
    {
        if (c.transpose)
        {
            y = conv_transpose2d(x, wt, b,
                                 conv_transpose2d_options()
                                     .stride(c.sh, c.sw)
                                     .padding(c.ph, c.pw)
                                     .dilation(c.dh, c.dw)
                                     .output_padding(c.oph, c.opw)
                                     .groups(c.groups));
        }
        else
        {
            conv2d_options o;
            o.stride(c.sh, c.sw).dilation(c.dh, c.dw).groups(c.groups);
            if (c.same)
            {
                o.padding("same");
            }
            else
            {
                o.padding(c.ph, c.pw);
            }
            y = conv2d(x, wt, b, o);
        }
    }
    catch (const std::invalid_argument& e)
    {
        if (ok)
        {
            finding(c, std::string("rejected a configuration PyTorch accepts: ") + e.what());
        }
        return 0;
    }
    catch (const std::exception& e)
    {
        finding(c, std::string("threw something other than std::invalid_argument: ") + e.what());
    }
    if (!ok)
    {
        finding(c, "accepted a configuration PyTorch rejects");
    }
    const std::int64_t h_out = y.shape()[y.shape().size() - 2], w_out = y.shape().back();
    const std::vector<double> expected = reference(c, xv, wv, bv, h_out, w_out);
    const std::vector<double> got = y.data().to_vector();
    if (got.size() != expected.size())
    {
        finding(c, "output has the wrong number of values");
    }
    if (!c.transpose && !c.same)
    {
        const std::int64_t h_want = (c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
        const std::int64_t w_want = (c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
        if (h_out != h_want || w_out != w_want)
        {
            finding(c, "output size differs from PyTorch's formula");
        }
    }
    if (c.same && (h_out != c.h || w_out != c.w))
    {
        finding(c, "padding='same' changed the spatial size");
    }
    if (c.transpose && (h_out != (c.h - 1) * c.sh - 2 * c.ph + c.dh * (c.kh - 1) + c.oph + 1 ||
                        w_out != (c.w - 1) * c.sw - 2 * c.pw + c.dw * (c.kw - 1) + c.opw + 1))
    {
        finding(c, "transposed output size differs from PyTorch's formula");
    }
    for (std::size_t i = 0; i < got.size(); ++i)
    {
        if (std::abs(got[i] - expected[i]) > 1e-9 * (1.0 + std::abs(expected[i])))
        {
            finding(c, "value " + std::to_string(i) + " is " + std::to_string(got[i]) + ", the direct loop gives " +
                           std::to_string(expected[i]));
        }
    }
    // The backward walks the same geometry the other way: it must run cleanly too.
    sum(y * y).backward();
    if (x.grad().shape() != x.shape() || wt.grad().shape() != wt.shape())
    {
        finding(c, "gradient shapes differ from the inputs'");
    }
    return 0;
}
