// Convolution kernels on contiguous buffers (see conv_kernels.hpp). The stride / padding /
// dilation index arithmetic lives only in for_each_run; im2col gathers along its runs and
// col2im scatter-adds along the same runs, so the two cannot drift apart.
#include <adjoint/core/conv_kernels.hpp>
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace adjoint::kernels
{
    namespace
    {
        // The outputs o in [0, out) whose input position o*stride + offset lies in [0, in),
        // as a half-open range [lo, hi). Empty ranges come back with hi <= lo.
        struct range
        {
            std::int64_t lo, hi;
        };

        range valid_range(std::int64_t offset, std::int64_t stride, std::int64_t in, std::int64_t out)
        {
            // lo: smallest o with o*stride >= -offset; hi: one past the largest o with o*stride <= in-1-offset.
            const std::int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            const std::int64_t last = in - 1 - offset;
            const std::int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
            return {lo, hi};
        }

        // Visits, for each column-matrix row r = (c*kh + ki)*kw + kj (c < channels) and each
        // output row oh whose image row ih = oh*stride_h - pad_top + ki*dilation_h is inside
        // the image, the one run of output columns ow whose image column
        // iw = ow*stride_w - pad_left + kj*dilation_w is inside too:
        //   visit(col_index, image_index, count) — col_index advances by 1 per element,
        //   image_index by stride_w. Positions never visited read the zero padding.
        template <class F>
        void for_each_run(const conv_geometry& g, std::int64_t channels, F&& visit)
        {
            const std::int64_t plane = g.h_out * g.w_out;
            for (std::int64_t c = 0; c < channels; ++c)
            {
                for (std::int64_t ki = 0; ki < g.kh; ++ki)
                {
                    const std::int64_t row_offset = ki * g.dilation_h - g.pad_top;
                    const range rows = valid_range(row_offset, g.stride_h, g.h, g.h_out);
                    for (std::int64_t kj = 0; kj < g.kw; ++kj)
                    {
                        const std::int64_t col_offset = kj * g.dilation_w - g.pad_left;
                        const range cols = valid_range(col_offset, g.stride_w, g.w, g.w_out);
                        if (cols.hi <= cols.lo)
                        {
                            continue;
                        }
                        const std::int64_t r = (c * g.kh + ki) * g.kw + kj;
                        for (std::int64_t oh = rows.lo; oh < rows.hi; ++oh)
                        {
                            const std::int64_t ih = oh * g.stride_h + row_offset;
                            visit(r * plane + oh * g.w_out + cols.lo,
                                  (c * g.h + ih) * g.w + cols.lo * g.stride_w + col_offset, cols.hi - cols.lo);
                        }
                    }
                }
            }
        }

        // image [channels, h, w] -> col [channels*kh*kw, h_out*w_out]
        template <class T>
        void im2col(const T* image, T* col, const conv_geometry& g, std::int64_t channels)
        {
            std::fill(col, col + channels * g.kh * g.kw * g.h_out * g.w_out, T(0));
            const std::int64_t step = g.stride_w;
            for_each_run(g, channels, [&](std::int64_t ci, std::int64_t ii, std::int64_t count) {
                T* dst = col + ci;
                const T* src = image + ii;
                for (std::int64_t e = 0; e < count; ++e)
                {
                    dst[e] = src[e * step];
                }
            });
        }

        // col [channels*kh*kw, h_out*w_out] -> image [channels, h, w], summing overlapping taps.
        template <class T>
        void col2im(const T* col, T* image, const conv_geometry& g, std::int64_t channels)
        {
            std::fill(image, image + channels * g.h * g.w, T(0));
            const std::int64_t step = g.stride_w;
            for_each_run(g, channels, [&](std::int64_t ci, std::int64_t ii, std::int64_t count) {
                const T* src = col + ci;
                T* dst = image + ii;
                for (std::int64_t e = 0; e < count; ++e)
                {
                    dst[e * step] += src[e];
                }
            });
        }

        // A 1x1 kernel with stride 1 and no padding over an image of the output's size: the
        // column matrix is the image itself, so im2col / col2im are skipped.
        bool columns_are_image(const conv_geometry& g)
        {
            return g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
                   g.pad_left == 0 && g.h == g.h_out && g.w == g.w_out;
        }

        void check_shape(const char* kernel, const char* what, const array& a, const shape_t& expected)
        {
            if (a.shape() != expected)
            {
                throw std::logic_error(detail::str(kernel, ": ", what, " must have shape ", shape_str(expected),
                                                   " for this geometry, got ", shape_str(a.shape())));
            }
        }

        // Per-call sizes shared by the three kernels.
        struct panel
        {
            std::int64_t cin_g, cout_g, k, p, image_size, col_rows;
            explicit panel(const conv_geometry& g)
                : cin_g(g.c_in / g.groups), cout_g(g.c_out / g.groups), k(cin_g * g.kh * g.kw), p(g.h_out * g.w_out),
                  image_size(g.c_in * g.h * g.w), col_rows(g.c_in * g.kh * g.kw)
            {
            }
        };
    }

    array conv_forward(const array& x, const array& weight, const conv_geometry& g)
    {
        check_shape("conv_forward", "x", x, g.image_shape());
        check_shape("conv_forward", "weight", weight, g.weight_shape());
        array y = array::empty(g.output_shape(), x.dtype());
        const panel s(g);
        if (s.k == 0)
        {
            y.fill_(0.0);
            return y;
        }
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            const bool direct = columns_are_image(g);
            std::vector<T> buffer(direct ? 0 : static_cast<std::size_t>(s.col_rows * s.p));   // reused by every sample
            const T* xs = x.data<T>();
            const T* ws = weight.data<T>();
            T* ys = y.data<T>();
            for (std::int64_t i = 0; i < g.n; ++i)
            {
                const T* image = xs + i * s.image_size;
                const T* col = direct ? image : buffer.data();
                if (!direct)
                {
                    im2col(image, buffer.data(), g, g.c_in);
                }
                for (std::int64_t gi = 0; gi < g.groups; ++gi)
                {
                    // y_g [cout_g, P] = W_g [cout_g, K] @ col_g [K, P]
                    gemm(false, false, s.cout_g, s.p, s.k, T(1), ws + gi * s.cout_g * s.k, s.k, col + gi * s.k * s.p,
                         s.p, T(0), ys + (i * g.c_out + gi * s.cout_g) * s.p, s.p);
                }
            }
        });
        return y;
    }

    array conv_input_grad(const array& gy, const array& weight, const conv_geometry& g)
    {
        check_shape("conv_input_grad", "gy", gy, g.output_shape());
        check_shape("conv_input_grad", "weight", weight, g.weight_shape());
        array gx = array::empty(g.image_shape(), gy.dtype());
        const panel s(g);
        if (s.k == 0 || s.cout_g == 0)
        {
            gx.fill_(0.0);
            return gx;
        }
        detail::dispatch(gy.dtype(), [&](auto t) {
            using T = decltype(t);
            const bool direct = columns_are_image(g);
            std::vector<T> buffer(direct ? 0 : static_cast<std::size_t>(s.col_rows * s.p));
            const T* gys = gy.data<T>();
            const T* ws = weight.data<T>();
            T* gxs = gx.data<T>();
            for (std::int64_t i = 0; i < g.n; ++i)
            {
                T* image = gxs + i * s.image_size;
                T* col = direct ? image : buffer.data();
                for (std::int64_t gi = 0; gi < g.groups; ++gi)
                {
                    // col_g [K, P] = W_g^T [K, cout_g] @ gy_g [cout_g, P]
                    gemm(true, false, s.k, s.p, s.cout_g, T(1), ws + gi * s.cout_g * s.k, s.k,
                         gys + (i * g.c_out + gi * s.cout_g) * s.p, s.p, T(0), col + gi * s.k * s.p, s.p);
                }
                if (!direct)
                {
                    col2im(buffer.data(), image, g, g.c_in);
                }
            }
        });
        return gx;
    }

    array conv_weight_grad(const array& x, const array& gy, const conv_geometry& g)
    {
        check_shape("conv_weight_grad", "x", x, g.image_shape());
        check_shape("conv_weight_grad", "gy", gy, g.output_shape());
        array gw = array::full(g.weight_shape(), 0.0, x.dtype());   // accumulated over the batch
        const panel s(g);
        if (s.k == 0 || s.p == 0)
        {
            return gw;
        }
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            const bool direct = columns_are_image(g);
            std::vector<T> buffer(direct ? 0 : static_cast<std::size_t>(s.col_rows * s.p));
            const T* xs = x.data<T>();
            const T* gys = gy.data<T>();
            T* gws = gw.data<T>();
            for (std::int64_t i = 0; i < g.n; ++i)
            {
                const T* image = xs + i * s.image_size;
                const T* col = direct ? image : buffer.data();
                if (!direct)
                {
                    im2col(image, buffer.data(), g, g.c_in);
                }
                for (std::int64_t gi = 0; gi < g.groups; ++gi)
                {
                    // gw_g [cout_g, K] += gy_g [cout_g, P] @ col_g^T [P, K]
                    gemm(false, true, s.cout_g, s.k, s.p, T(1), gys + (i * g.c_out + gi * s.cout_g) * s.p, s.p,
                         col + gi * s.k * s.p, s.p, T(1), gws + gi * s.cout_g * s.k, s.k);
                }
            }
        });
        return gw;
    }

    void add_channel_bias_(array& y, const array& bias)
    {
        const std::int64_t n = y.size(0), c = y.size(1);
        const std::int64_t inner = n * c != 0 ? y.numel() / (n * c) : 0;
        if (bias.shape() != shape_t{c})
        {
            throw std::logic_error(detail::str("add_channel_bias_: bias must have shape ", shape_str({c}), ", got ",
                                               shape_str(bias.shape())));
        }
        detail::dispatch(y.dtype(), [&](auto t) {
            using T = decltype(t);
            T* ys = y.data<T>();
            const T* bs = bias.data<T>();
            for (std::int64_t i = 0; i < n; ++i)
            {
                for (std::int64_t ch = 0; ch < c; ++ch)
                {
                    T* row = ys + (i * c + ch) * inner;
                    const T b = bs[ch];
                    for (std::int64_t e = 0; e < inner; ++e)
                    {
                        row[e] += b;
                    }
                }
            }
        });
    }

    array channel_sum(const array& g)
    {
        const std::int64_t n = g.size(0), c = g.size(1);
        const std::int64_t inner = n * c != 0 ? g.numel() / (n * c) : 0;
        array out = array::empty({c}, g.dtype());
        detail::dispatch(g.dtype(), [&](auto t) {
            using T = decltype(t);
            const T* gs = g.data<T>();
            T* os = out.data<T>();
            for (std::int64_t ch = 0; ch < c; ++ch)
            {
                double total = 0.0;   // a double accumulator keeps float32 sums of large maps accurate
                for (std::int64_t i = 0; i < n; ++i)
                {
                    const T* row = gs + (i * c + ch) * inner;
                    for (std::int64_t e = 0; e < inner; ++e)
                    {
                        total += row[e];
                    }
                }
                os[ch] = static_cast<T>(total);
            }
        });
        return out;
    }
}
