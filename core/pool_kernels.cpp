// Pooling kernels (see pool_kernels.hpp). Max and average pooling visit their windows with
// conv_detail::for_each_run, the walker behind im2col: a window is a kernel's taps, and the
// walker already yields, per tap and output row, the run of outputs whose tap is inside the
// image, so padding is skipped without any index arithmetic here. ceil_mode needs nothing
// from the walker: its partial last window is a window whose taps past the input are not
// visited, exactly as right/bottom padding is for a convolution (the walker clips against
// h, w and h_out, w_out, which the geometry carries explicitly).
#include <adjoint/core/conv_runs.hpp>
#include <adjoint/core/pool_kernels.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace adjoint::kernels
{
    namespace
    {
        shape_t with_plane(const shape_t& shape, std::int64_t h, std::int64_t w)
        {
            shape_t out = shape;
            out[out.size() - 2] = h;
            out[out.size() - 1] = w;
            return out;
        }

        std::int64_t plane_count(const shape_t& shape)
        {
            std::int64_t planes = 1;
            for (std::size_t i = 0; i + 2 < shape.size(); ++i)
            {
                planes *= shape[i];
            }
            return planes;
        }

        // Per output position of one plane, what its window's sum is divided by. The counts
        // come from the walker too: the number of taps it visits for an output is the size of
        // that output's window inside the image. Counting over the padded image (h + 2*pad, no
        // padding) instead gives the window clipped to the padded input, PyTorch's
        // count_include_pad divisor (which, with ceil_mode, excludes the part past the padding).
        std::vector<double> divisors(const conv_geometry& g, const avg_pool_divisor& d)
        {
            const std::int64_t p_end = g.h_out * g.w_out;
            if (d.divisor_override != 0)
            {
                return std::vector<double>(static_cast<std::size_t>(p_end), static_cast<double>(d.divisor_override));
            }
            conv_geometry counted = g;
            if (d.count_include_pad)
            {
                counted.h = g.h + 2 * g.pad_top;
                counted.w = g.w + 2 * g.pad_left;
                counted.pad_top = counted.pad_left = 0;
            }
            std::vector<double> count(static_cast<std::size_t>(p_end), 0.0);
            conv_detail::for_each_run(counted, 1, [&](auto, auto p, auto, auto n, auto) {
                for (std::int64_t e = 0; e < n; ++e)
                {
                    count[static_cast<std::size_t>(p + e)] += 1.0;
                }
            });
            return count;
        }

        // PyTorch's adaptive window bounds: [floor(i*in/out), ceil((i+1)*in/out)), in integers.
        struct window
        {
            std::int64_t begin, end;
        };

        std::vector<window> adaptive_windows(std::int64_t in, std::int64_t out)
        {
            std::vector<window> ws(static_cast<std::size_t>(out));
            for (std::int64_t i = 0; i < out; ++i)
            {
                ws[static_cast<std::size_t>(i)] = {(i * in) / out, ((i + 1) * in + out - 1) / out};
            }
            return ws;
        }

        // Calls visit(o, start, rows, cols) per output o = (plane*h_out + oh)*w_out + ow: its
        // window is rows x cols input elements from flat input index start (row stride w).
        // Adaptive windows vary in size and step, so they are not a convolution's taps; this
        // is the one loop over them, shared by the forward and its adjoint.
        template <class F>
        void for_each_adaptive_window(std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t h_out,
                                      std::int64_t w_out, F&& visit)
        {
            const std::vector<window> rows = adaptive_windows(h, h_out), cols = adaptive_windows(w, w_out);
            for (std::int64_t c = 0; c < planes; ++c)
            {
                for (std::int64_t oh = 0; oh < h_out; ++oh)
                {
                    const window r = rows[static_cast<std::size_t>(oh)];
                    for (std::int64_t ow = 0; ow < w_out; ++ow)
                    {
                        const window k = cols[static_cast<std::size_t>(ow)];
                        visit((c * h_out + oh) * w_out + ow, (c * h + r.begin) * w + k.begin, r.end - r.begin,
                              k.end - k.begin);
                    }
                }
            }
        }
    }

    max_pool_result max_pool2d(const array& x, const conv_geometry& g)
    {
        const std::int64_t planes = plane_count(x.shape()), p_end = g.h_out * g.w_out, taps = g.kh * g.kw;
        const shape_t out_shape = with_plane(x.shape(), g.h_out, g.w_out);
        max_pool_result r{array::empty(out_shape, x.dtype(), "max_pool2d"), array::full(out_shape, -1.0, int64)};
        detail::dispatch_floating(x.dtype(), "max_pool2d", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            T* best = r.values.data<T>();
            std::int64_t* idx = r.indices.data<std::int64_t>();
            std::fill(best, best + planes * p_end, -std::numeric_limits<T>::infinity());
            // Taps come in window scan order for every output, so keeping the running best with
            // a strict `>` keeps the first maximum; the first tap an output sees is always taken.
            conv_detail::for_each_run(g, planes, [&](auto r_tap, auto p, auto ii, auto n, auto step) {
                const std::int64_t plane = r_tap / taps;
                const std::int64_t plane_start = plane * g.h * g.w;
                T* b = best + plane * p_end + p;
                std::int64_t* k = idx + plane * p_end + p;
                for (std::int64_t e = 0; e < n; ++e)
                {
                    const std::int64_t at = ii + e * step;
                    const T v = xs[at];
                    if (k[e] < 0 || v > b[e] || std::isnan(v))
                    {
                        b[e] = v;
                        k[e] = at - plane_start;
                    }
                }
            });
        });
        return r;
    }

    array avg_pool2d(const array& x, const conv_geometry& g, const avg_pool_divisor& d)
    {
        const std::int64_t planes = plane_count(x.shape()), p_end = g.h_out * g.w_out;
        array y = array::full(with_plane(x.shape(), g.h_out, g.w_out), 0.0, x.dtype());
        const std::vector<double> div = divisors(g, d);
        detail::dispatch_floating(x.dtype(), "avg_pool2d", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            T* ys = y.data<T>();
            conv_detail::for_each_run(g, planes, [&](auto r_tap, auto p, auto ii, auto n, auto step) {
                T* dst = ys + (r_tap / (g.kh * g.kw)) * p_end + p;
                for (std::int64_t e = 0; e < n; ++e)
                {
                    dst[e] += xs[ii + e * step];
                }
            });
            for (std::int64_t o = 0; o < planes * p_end; ++o)
            {
                const double dv = div[static_cast<std::size_t>(o % p_end)];
                ys[o] = dv != 0 ? ys[o] / static_cast<T>(dv) : T(0);   // no tap: 0, as PyTorch
            }
        });
        return y;
    }

    array avg_pool2d_backward(const array& gy, const conv_geometry& g, const avg_pool_divisor& d,
                              const shape_t& x_shape)
    {
        const std::int64_t planes = plane_count(x_shape), p_end = g.h_out * g.w_out;
        array gx = array::full(x_shape, 0.0, gy.dtype());
        const std::vector<double> div = divisors(g, d);
        detail::dispatch_floating(gy.dtype(), "avg_pool2d_backward", [&](auto t) {
            using T = decltype(t);
            const T* gys = gy.data<T>();
            T* gxs = gx.data<T>();
            conv_detail::for_each_run(g, planes, [&](auto r_tap, auto p, auto ii, auto n, auto step) {
                const T* src = gys + (r_tap / (g.kh * g.kw)) * p_end + p;
                for (std::int64_t e = 0; e < n; ++e)
                {
                    // Visited outputs have at least this tap, so their divisor is non-zero.
                    gxs[ii + e * step] += src[e] / static_cast<T>(div[static_cast<std::size_t>(p + e)]);
                }
            });
        });
        return gx;
    }

    array adaptive_avg_pool2d(const array& x, std::int64_t h_out, std::int64_t w_out)
    {
        const shape_t& xs_shape = x.shape();
        const std::int64_t h = xs_shape[xs_shape.size() - 2], w = xs_shape[xs_shape.size() - 1];
        array y = array::empty(with_plane(xs_shape, h_out, w_out), x.dtype(), "adaptive_avg_pool2d");
        detail::dispatch_floating(x.dtype(), "adaptive_avg_pool2d", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            T* ys = y.data<T>();
            for_each_adaptive_window(plane_count(xs_shape), h, w, h_out, w_out,
                                     [&](std::int64_t o, std::int64_t start, std::int64_t rows, std::int64_t cols) {
                                         T sum = 0;
                                         for (std::int64_t i = 0; i < rows; ++i)
                                         {
                                             for (std::int64_t j = 0; j < cols; ++j)
                                             {
                                                 sum += xs[start + i * w + j];
                                             }
                                         }
                                         ys[o] = sum / static_cast<T>(rows * cols);
                                     });
        });
        return y;
    }

    array adaptive_avg_pool2d_backward(const array& gy, const shape_t& x_shape)
    {
        const std::int64_t h = x_shape[x_shape.size() - 2], w = x_shape[x_shape.size() - 1];
        const shape_t& gs = gy.shape();
        array gx = array::full(x_shape, 0.0, gy.dtype());
        detail::dispatch_floating(gy.dtype(), "adaptive_avg_pool2d_backward", [&](auto t) {
            using T = decltype(t);
            const T* gys = gy.data<T>();
            T* gxs = gx.data<T>();
            for_each_adaptive_window(plane_count(x_shape), h, w, gs[gs.size() - 2], gs[gs.size() - 1],
                                     [&](std::int64_t o, std::int64_t start, std::int64_t rows, std::int64_t cols) {
                                         const T share = gys[o] / static_cast<T>(rows * cols);
                                         for (std::int64_t i = 0; i < rows; ++i)
                                         {
                                             for (std::int64_t j = 0; j < cols; ++j)
                                             {
                                                 gxs[start + i * w + j] += share;
                                             }
                                         }
                                     });
        });
        return gx;
    }

    array gather_planes(const array& x, const array& index, std::int64_t h_out, std::int64_t w_out)
    {
        const shape_t& s = x.shape();
        const std::int64_t planes = plane_count(s), hw = s[s.size() - 2] * s[s.size() - 1], p_end = h_out * w_out;
        const bool shared = index.numel() == p_end && planes != 1;
        array y = array::empty(with_plane(s, h_out, w_out), x.dtype(), "gather_planes");
        detail::dispatch_floating(x.dtype(), "gather_planes", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            const std::int64_t* is = index.data<std::int64_t>();
            T* ys = y.data<T>();
            for (std::int64_t c = 0; c < planes; ++c)
            {
                const std::int64_t* ic = shared ? is : is + c * p_end;
                for (std::int64_t p = 0; p < p_end; ++p)
                {
                    ys[c * p_end + p] = ic[p] < 0 ? T(0) : xs[c * hw + ic[p]];
                }
            }
        });
        return y;
    }

    array scatter_add_planes(const array& g, const array& index, const shape_t& x_shape)
    {
        const std::int64_t planes = plane_count(x_shape), hw = x_shape[x_shape.size() - 2] * x_shape.back();
        const std::int64_t p_end = g.size(-2) * g.size(-1);
        const bool shared = index.numel() == p_end && planes != 1;
        array gx = array::full(x_shape, 0.0, g.dtype());
        detail::dispatch_floating(g.dtype(), "scatter_add_planes", [&](auto t) {
            using T = decltype(t);
            const T* gs = g.data<T>();
            const std::int64_t* is = index.data<std::int64_t>();
            T* gxs = gx.data<T>();
            for (std::int64_t c = 0; c < planes; ++c)
            {
                const std::int64_t* ic = shared ? is : is + c * p_end;
                for (std::int64_t p = 0; p < p_end; ++p)
                {
                    if (ic[p] >= 0)
                    {
                        gxs[c * hw + ic[p]] += gs[c * p_end + p];
                    }
                }
            }
        });
        return gx;
    }
}
