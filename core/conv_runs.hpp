// The one walk over a convolution's taps that every conv kernel is driven by: which image
// positions each (channel, kernel tap, output row) reads, as contiguous runs of outputs.
// Internal to the conv kernels (conv_kernels.cpp, conv_depthwise.cpp); holds the stride /
// padding / dilation index arithmetic and nothing else — no values, no buffers.
#pragma once
#include <adjoint/core/conv_geometry.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace adjoint::kernels::conv_detail
{
    // The outputs o in [0, out) whose input position o*stride + offset lies in [0, in),
    // as a half-open range [lo, hi). Empty ranges come back with hi <= lo.
    struct output_range
    {
        std::int64_t lo, hi;
    };

    inline output_range valid_range(std::int64_t offset, std::int64_t stride, std::int64_t in, std::int64_t out)
    {
        // lo: smallest o with o*stride >= -offset; hi: one past the largest o with o*stride <= in-1-offset.
        const std::int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        const std::int64_t last = in - 1 - offset;
        const std::int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
        return {lo, hi};
    }

    // Visits, for each tap row r = (c*kh + ki)*kw + kj (c < channels; r is also the row of the
    // column matrix and, per channel, the flat index into a [kh, kw] kernel) and each output
    // row oh whose image row ih = oh*stride_h - pad_top + ki*dilation_h is inside the image,
    // the one run of output columns ow whose image column iw = ow*stride_w - pad_left +
    // kj*dilation_w is inside too:
    //   visit(r, p, image_index, count, step) — p = oh*w_out + ow_first is the output position
    //   in one [h_out, w_out] plane and advances by 1 per element; image_index indexes a
    //   [channels, h, w] image and advances by step = stride_w. Taps never visited read zero
    //   padding. step is a compile-time constant for strides 1 and 2 (the ones real networks
    //   use), so that the visitors' run loops compile to contiguous or fixed-stride vector
    //   code; other strides come as a plain integer.
    // Visits come in increasing (r, p) order, each run after the previous one ends; im2col
    // relies on this to zero exactly the positions in between.
    template <class F>
    void for_each_run(const conv_geometry& g, std::int64_t channels, F&& visit)
    {
        auto walk = [&](auto step) {
            for (std::int64_t c = 0; c < channels; ++c)
            {
                for (std::int64_t ki = 0; ki < g.kh; ++ki)
                {
                    const std::int64_t row_offset = ki * g.dilation_h - g.pad_top;
                    const output_range rows = valid_range(row_offset, g.stride_h, g.h, g.h_out);
                    for (std::int64_t kj = 0; kj < g.kw; ++kj)
                    {
                        const std::int64_t col_offset = kj * g.dilation_w - g.pad_left;
                        const output_range cols = valid_range(col_offset, g.stride_w, g.w, g.w_out);
                        if (cols.hi <= cols.lo)
                        {
                            continue;
                        }
                        const std::int64_t r = (c * g.kh + ki) * g.kw + kj;
                        for (std::int64_t oh = rows.lo; oh < rows.hi; ++oh)
                        {
                            const std::int64_t ih = oh * g.stride_h + row_offset;
                            visit(r, oh * g.w_out + cols.lo, (c * g.h + ih) * g.w + cols.lo * g.stride_w + col_offset,
                                  cols.hi - cols.lo, step);
                        }
                    }
                }
            }
        };
        if (g.stride_w == 1)
        {
            walk(std::integral_constant<std::int64_t, 1>{});
        }
        else if (g.stride_w == 2)
        {
            walk(std::integral_constant<std::int64_t, 2>{});
        }
        else
        {
            walk(g.stride_w);
        }
    }
}
