// Resampling kernels (see interpolate_kernels.hpp). Each rule is written once: the nearest
// source index in nearest_source, the bilinear taps (two source indices and weights per
// output index, per dimension) in linear_taps, and the four-neighbour walk that the bilinear
// forward gathers along and its adjoint scatters along in for_each_bilinear_tap.
#include <adjoint/core/interpolate_kernels.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace adjoint::kernels
{
    namespace
    {
        std::int64_t plane_count(const shape_t& shape)
        {
            std::int64_t planes = 1;
            for (std::size_t i = 0; i + 2 < shape.size(); ++i)
            {
                planes *= shape[i];
            }
            return planes;
        }

        // PyTorch 1.13's nearest rule: equal sizes copy, exact doubling halves, otherwise
        // floor(o * s) in float32 (s itself rounded to float32), clamped to the last row.
        std::int64_t nearest_source(std::int64_t o, const resample_dim& d)
        {
            if (d.out == d.in)
            {
                return o;
            }
            if (d.out == 2 * d.in)
            {
                return o >> 1;
            }
            const float s = d.scale && *d.scale > 0 ? static_cast<float>(1.0 / *d.scale)
                                                    : static_cast<float>(d.in) / static_cast<float>(d.out);
            return std::min(static_cast<std::int64_t>(std::floor(static_cast<float>(o) * s)), d.in - 1);
        }

        // Per output index: the two source indices and their weights, in T (PyTorch computes
        // them in the tensor's own floating type).
        template <class T>
        struct linear_taps
        {
            std::vector<std::int64_t> i0, i1;
            std::vector<T> l0, l1;
        };

        template <class T>
        linear_taps<T> linear_source(const resample_dim& d, bool align_corners)
        {
            linear_taps<T> t;
            const auto n = static_cast<std::size_t>(d.out);
            t.i0.resize(n);
            t.i1.resize(n);
            t.l0.resize(n);
            t.l1.resize(n);
            T ratio;
            if (align_corners)
            {
                ratio = d.out > 1 ? static_cast<T>(d.in - 1) / static_cast<T>(d.out - 1) : T(0);
            }
            else
            {
                ratio = d.scale && *d.scale > 0 ? static_cast<T>(1.0 / *d.scale)
                                                : static_cast<T>(d.in) / static_cast<T>(d.out);
            }
            for (std::int64_t o = 0; o < d.out; ++o)
            {
                const auto k = static_cast<std::size_t>(o);
                if (d.in == d.out)
                {
                    t.i0[k] = t.i1[k] = o;   // a plain copy, whatever the scale says
                    t.l0[k] = T(1);
                    t.l1[k] = T(0);
                    continue;
                }
                T src = align_corners ? ratio * static_cast<T>(o) : ratio * (static_cast<T>(o) + T(0.5)) - T(0.5);
                src = std::max(src, T(0));
                const std::int64_t i0 = std::min(static_cast<std::int64_t>(src), d.in - 1);
                t.i0[k] = i0;
                t.i1[k] = i0 + (i0 < d.in - 1 ? 1 : 0);
                t.l1[k] = std::min(std::max(src - static_cast<T>(i0), T(0)), T(1));
                t.l0[k] = T(1) - t.l1[k];
            }
            return t;
        }

        // visit(o, i, weight) for the four (source, weight) pairs of every output o of every
        // plane: o and i are flat indices into y [planes, h_out*w_out] and x [planes, h*w].
        template <class T, class F>
        void for_each_bilinear_tap(std::int64_t planes, const resample_dim& h, const resample_dim& w,
                                   bool align_corners, F&& visit)
        {
            const linear_taps<T> th = linear_source<T>(h, align_corners), tw = linear_source<T>(w, align_corners);
            for (std::int64_t c = 0; c < planes; ++c)
            {
                for (std::int64_t oh = 0; oh < h.out; ++oh)
                {
                    const auto a = static_cast<std::size_t>(oh);
                    const std::int64_t r0 = (c * h.in + th.i0[a]) * w.in, r1 = (c * h.in + th.i1[a]) * w.in;
                    for (std::int64_t ow = 0; ow < w.out; ++ow)
                    {
                        const auto b = static_cast<std::size_t>(ow);
                        const std::int64_t o = (c * h.out + oh) * w.out + ow;
                        visit(o, r0 + tw.i0[b], th.l0[a] * tw.l0[b]);
                        visit(o, r0 + tw.i1[b], th.l0[a] * tw.l1[b]);
                        visit(o, r1 + tw.i0[b], th.l1[a] * tw.l0[b]);
                        visit(o, r1 + tw.i1[b], th.l1[a] * tw.l1[b]);
                    }
                }
            }
        }

        shape_t with_plane(const shape_t& shape, std::int64_t h, std::int64_t w)
        {
            shape_t out = shape;
            out[out.size() - 2] = h;
            out[out.size() - 1] = w;
            return out;
        }
    }

    array nearest_index_map(const resample_dim& h, const resample_dim& w)
    {
        array index = array::empty({1, h.out * w.out}, int64, "interpolate");
        std::int64_t* is = index.data<std::int64_t>();
        std::vector<std::int64_t> cols(static_cast<std::size_t>(w.out));
        for (std::int64_t ow = 0; ow < w.out; ++ow)
        {
            cols[static_cast<std::size_t>(ow)] = nearest_source(ow, w);
        }
        for (std::int64_t oh = 0; oh < h.out; ++oh)
        {
            const std::int64_t row = nearest_source(oh, h) * w.in;
            for (std::int64_t ow = 0; ow < w.out; ++ow)
            {
                is[oh * w.out + ow] = row + cols[static_cast<std::size_t>(ow)];
            }
        }
        return index;
    }

    array upsample_bilinear2d(const array& x, const resample_dim& h, const resample_dim& w, bool align_corners)
    {
        array y = array::full(with_plane(x.shape(), h.out, w.out), 0.0, x.dtype());
        detail::dispatch_floating(x.dtype(), "interpolate", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data<T>();
            T* ys = y.data<T>();
            for_each_bilinear_tap<T>(plane_count(x.shape()), h, w, align_corners,
                                     [&](std::int64_t o, std::int64_t i, T weight) { ys[o] += weight * xs[i]; });
        });
        return y;
    }

    array upsample_bilinear2d_backward(const array& gy, const resample_dim& h, const resample_dim& w,
                                       bool align_corners, const shape_t& x_shape)
    {
        array gx = array::full(x_shape, 0.0, gy.dtype());
        detail::dispatch_floating(gy.dtype(), "interpolate_backward", [&](auto t) {
            using T = decltype(t);
            const T* gys = gy.data<T>();
            T* gxs = gx.data<T>();
            for_each_bilinear_tap<T>(plane_count(x_shape), h, w, align_corners,
                                     [&](std::int64_t o, std::int64_t i, T weight) { gxs[i] += weight * gys[o]; });
        });
        return gx;
    }
}
