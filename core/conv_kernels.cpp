// Convolution kernels on contiguous buffers (see conv_kernels.hpp). The stride / padding /
// dilation index arithmetic lives only in for_each_run (conv_runs.hpp); im2col gathers along
// its runs and col2im scatter-adds along the same runs, so the two cannot drift apart.
// Depthwise convolutions take the direct path of conv_depthwise.cpp instead of GEMMs.
#include <adjoint/core/conv_depthwise.hpp>
#include <adjoint/core/conv_dnnl.hpp>
#include <adjoint/core/conv_kernels.hpp>
#include <adjoint/core/conv_runs.hpp>
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/parallel.hpp>
#include <adjoint/core/reduce.hpp>
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <type_traits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace adjoint::kernels
{
    namespace
    {
        // Scratch for column matrices [rows, cols]: uninitialised, because every element is
        // written before it is read (im2col writes the zero padding itself). Allocated as an
        // array so that a size too large to hold gets array::empty's message naming `op`.
        array scratch(adjoint::dtype dt, std::int64_t rows, std::int64_t cols, const char* op)
        {
            return array::empty({rows, cols}, dt, op);
        }

        // image [channels, h, w] -> col [channels*kh*kw, P]. The positions the walker skips
        // are the zero padding; they are zeroed as the walk passes them (its visits come in
        // increasing order), so each element is written once and the buffer needs no clearing.
        template <class T>
        void im2col(const T* image, T* col, const conv_geometry& g, std::int64_t channels)
        {
            const std::int64_t p_end = g.h_out * g.w_out;
            T* written = col;   // everything before this is written
            conv_detail::for_each_run(g, channels, [&](auto r, auto p, auto ii, auto count, auto step) {
                T* dst = col + r * p_end + p;
                std::fill(written, dst, T(0));
                const T* src = image + ii;
                for (std::int64_t e = 0; e < count; ++e)
                {
                    dst[e] = src[e * step];
                }
                written = dst + count;
            });
            std::fill(written, col + channels * g.kh * g.kw * p_end, T(0));
        }

        // col [channels*kh*kw, P] -> image [channels, h, w], summing overlapping taps.
        template <class T>
        void col2im(const T* col, T* image, const conv_geometry& g, std::int64_t channels)
        {
            std::fill(image, image + channels * g.h * g.w, T(0));
            const std::int64_t p_end = g.h_out * g.w_out;
            conv_detail::for_each_run(g, channels, [&](auto r, auto p, auto ii, auto count, auto step) {
                const T* src = col + r * p_end + p;
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
        //
        // The GEMMs run one sample (and group) at a time. Batching a chunk of samples into one
        // wider GEMM ([K, m*P] columns, results moved back into the [n, c_out, P] layout) was
        // tried and measured slower on every bench/ case, at 1 thread and more so at 2: one
        // sample's column matrix is mostly L2-sized and is consumed by its GEMM while still in
        // cache; a chunk's is not, and the relayout copies add a pass over gy / y.
        struct panel
        {
            std::int64_t cin_g, cout_g, k, p, image_size, output_size, col_rows;
            bool direct;   // the columns are the image: no im2col / col2im
            explicit panel(const conv_geometry& g)
                : cin_g(g.c_in / g.groups), cout_g(g.c_out / g.groups), k(cin_g * g.kh * g.kw), p(g.h_out * g.w_out),
                  image_size(g.c_in * g.h * g.w), output_size(g.c_out * p), col_rows(g.c_in * g.kh * g.kw),
                  direct(columns_are_image(g))
            {
            }
        };

        // The column matrix of one sample's image: the image itself when s.direct, else im2col
        // into `buffer`. The forward and the weight gradient both read images this way.
        template <class T>
        const T* columns(const T* image, T* buffer, const conv_geometry& g, const panel& s)
        {
            if (s.direct)
            {
                return image;
            }
            im2col(image, buffer, g, g.c_in);
            return buffer;
        }

        std::atomic<conv_path> current_path{conv_path::fast};

        // The fast path hands float32 convolutions without groups to oneDNN's primitives
        // (conv_dnnl.hpp); the reference path never does.
        bool dnnl_path(const conv_geometry& g, adjoint::dtype dt)
        {
            return current_path.load() == conv_path::fast && conv_detail::use_dnnl(g, dt);
        }

        // The fast path: samples split over the threads, each running im2col / col2im and its
        // GEMMs alone on its own scratch (the GEMMs run single-threaded inside the region).
        // Taken for dtypes whose gemm may run in a region (gemm_in_region_ok), else the
        // reference loop below runs with BLAS's own threads. Either way each sample's
        // arithmetic is the same, so results do not depend on the thread count.
        bool sample_parallel(adjoint::dtype dt)
        {
            return current_path.load() == conv_path::fast && kernels::gemm_in_region_ok(dt);
        }

        // One scratch column matrix per thread that may run a chunk of samples.
        std::vector<array> scratch_per_thread(adjoint::dtype dt, std::int64_t rows, std::int64_t cols, std::int64_t n,
                                              const char* op)
        {
            const std::int64_t threads = std::max<std::int64_t>(1, std::min<std::int64_t>(detail::parallel_threads(), n));
            std::vector<array> out;
            for (std::int64_t t = 0; t < threads; ++t)
            {
                out.push_back(scratch(dt, rows, cols, op));
            }
            return out;
        }

    }

    void set_conv_path(conv_path path) { current_path.store(path); }
    conv_path get_conv_path() { return current_path.load(); }

    namespace
    {
        // conv_forward without the bias: depthwise, im2col + GEMM (oneDNN's path is taken before).
        array forward_unbiased(const array& x, const array& weight, const conv_geometry& g)
        {
            array y = array::empty(g.output_shape(), x.dtype(), "conv2d");
            const panel s(g);
            if (s.k == 0)
            {
                y.fill_(0.0);
                return y;
            }
            if (conv_detail::use_depthwise(g))
            {
                conv_detail::depthwise_forward(x, weight, y, g);
                return y;
            }
            detail::dispatch_floating(x.dtype(), "conv2d", [&](auto t) {
                using T = decltype(t);
                if (sample_parallel(x.dtype()))
                {
                    std::vector<array> buffers =
                        scratch_per_thread(x.dtype(), s.direct ? 0 : s.col_rows, s.p, g.n, "conv2d");
                    const T* xs = x.data<T>();
                    const T* ws = weight.data<T>();
                    T* ys = y.data<T>();
                    std::vector<T*> bufs;
                    for (array& b : buffers) bufs.push_back(b.data<T>());
                    detail::parallel_for(g.n, 1, [&](std::int64_t begin, std::int64_t end) {
                        T* buffer = bufs[static_cast<std::size_t>(detail::thread_index())];
                        for (std::int64_t i = begin; i < end; ++i)
                        {
                            const T* col = columns(xs + i * s.image_size, buffer, g, s);
                            for (std::int64_t gi = 0; gi < g.groups; ++gi)
                            {
                                gemm(false, false, s.cout_g, s.p, s.k, T(1), ws + gi * s.cout_g * s.k, s.k,
                                     col + gi * s.k * s.p, s.p, T(0), ys + i * s.output_size + gi * s.cout_g * s.p,
                                     s.p);
                            }
                        }
                    });
                    return;
                }
                array buffer = scratch(x.dtype(), s.direct ? 0 : s.col_rows, s.p, "conv2d");   // reused by every sample
                const T* xs = x.data<T>();
                const T* ws = weight.data<T>();
                T* ys = y.data<T>();
                for (std::int64_t i = 0; i < g.n; ++i)
                {
                    const T* col = columns(xs + i * s.image_size, buffer.data<T>(), g, s);
                    for (std::int64_t gi = 0; gi < g.groups; ++gi)
                    {
                        // y_g [cout_g, P] = W_g [cout_g, K] @ col_g [K, P]
                        gemm(false, false, s.cout_g, s.p, s.k, T(1), ws + gi * s.cout_g * s.k, s.k,
                             col + gi * s.k * s.p, s.p, T(0), ys + i * s.output_size + gi * s.cout_g * s.p, s.p);
                    }
                }
            });
            return y;
        }
    }

    array conv_forward(const array& x, const array& weight, const conv_geometry& g, const array& bias, bool relu)
    {
        check_shape("conv_forward", "x", x, g.image_shape());
        check_shape("conv_forward", "weight", weight, g.weight_shape());
        if (bias.defined())
        {
            check_shape("conv_forward", "bias", bias, {g.c_out});
        }
        if (dnnl_path(g, x.dtype()))
        {
            // The primitive adds the bias and applies the relu before its one store of each output.
            array y = array::empty(g.output_shape(), x.dtype(), "conv2d");
            conv_detail::dnnl_forward(x, weight, bias, relu, y, g);
            return y;
        }
        array y = forward_unbiased(x, weight, g);
        add_channel_bias_(y, bias, relu);
        return y;
    }

    array conv_input_grad(const array& gy, const array& weight, const conv_geometry& g)
    {
        check_shape("conv_input_grad", "gy", gy, g.output_shape());
        check_shape("conv_input_grad", "weight", weight, g.weight_shape());
        array gx = array::empty(g.image_shape(), gy.dtype(), "conv_transpose2d");
        const panel s(g);
        if (s.k == 0 || s.cout_g == 0)
        {
            gx.fill_(0.0);
            return gx;
        }
        if (conv_detail::use_depthwise(g))
        {
            conv_detail::depthwise_input_grad(gy, weight, gx, g);
            return gx;
        }
        if (dnnl_path(g, gy.dtype()))
        {
            conv_detail::dnnl_input_grad(gy, weight, gx, g);
            return gx;
        }
        detail::dispatch_floating(gy.dtype(), "conv2d", [&](auto t) {
            using T = decltype(t);
            if (sample_parallel(gy.dtype()))
            {
                std::vector<array> buffers =
                    scratch_per_thread(gy.dtype(), s.direct ? 0 : s.col_rows, s.p, g.n, "conv_transpose2d");
                const T* gys = gy.data<T>();
                const T* ws = weight.data<T>();
                T* gxs = gx.data<T>();
                std::vector<T*> bufs;
                for (array& b : buffers) bufs.push_back(b.data<T>());
                detail::parallel_for(g.n, 1, [&](std::int64_t begin, std::int64_t end) {
                    T* buffer = bufs[static_cast<std::size_t>(detail::thread_index())];
                    for (std::int64_t i = begin; i < end; ++i)
                    {
                        T* image = gxs + i * s.image_size;
                        T* col = s.direct ? image : buffer;
                        for (std::int64_t gi = 0; gi < g.groups; ++gi)
                        {
                            gemm(true, false, s.k, s.p, s.cout_g, T(1), ws + gi * s.cout_g * s.k, s.k,
                                 gys + i * s.output_size + gi * s.cout_g * s.p, s.p, T(0), col + gi * s.k * s.p, s.p);
                        }
                        if (!s.direct)
                        {
                            col2im(buffer, image, g, g.c_in);
                        }
                    }
                });
                return;
            }
            array buffer = scratch(gy.dtype(), s.direct ? 0 : s.col_rows, s.p, "conv_transpose2d");
            const T* gys = gy.data<T>();
            const T* ws = weight.data<T>();
            T* gxs = gx.data<T>();
            for (std::int64_t i = 0; i < g.n; ++i)
            {
                T* image = gxs + i * s.image_size;
                T* col = s.direct ? image : buffer.data<T>();
                for (std::int64_t gi = 0; gi < g.groups; ++gi)
                {
                    // col_g [K, P] = W_g^T [K, cout_g] @ gy_g [cout_g, P]
                    gemm(true, false, s.k, s.p, s.cout_g, T(1), ws + gi * s.cout_g * s.k, s.k,
                         gys + i * s.output_size + gi * s.cout_g * s.p, s.p, T(0), col + gi * s.k * s.p, s.p);
                }
                if (!s.direct)
                {
                    col2im(buffer.data<T>(), image, g, g.c_in);
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
        if (conv_detail::use_depthwise(g))
        {
            conv_detail::depthwise_weight_grad(x, gy, gw, g);
            return gw;
        }

        detail::dispatch_floating(x.dtype(), "conv2d", [&](auto t) {
            using T = decltype(t);
            if (sample_parallel(x.dtype()))
            {
                // A fixed split, whatever the thread count: the batch in `parts` contiguous
                // blocks, each accumulated in sample order into a partial of its own, and the
                // partials added in block order. So the sum is the same on 1 or 2 threads
                // (it rounds differently from the reference path's one running sum).
                const std::int64_t parts = std::min<std::int64_t>(g.n, 4);
                // oneDNN (float32, no groups) computes a block's gradient in one call, on its
                // thread alone; otherwise each sample is an im2col and a GEMM.
                const bool dnnl = dnnl_path(g, x.dtype());
                // The blocked copy of gy (or x) the input gradient has just made, if it did.
                const auto staged = dnnl ? conv_detail::claim_staged() : nullptr;
                std::vector<array> buffers = scratch_per_thread(x.dtype(), s.direct || dnnl ? 0 : s.col_rows,
                                                                s.p, parts, "conv2d_weight_grad");
                std::vector<array> partials;
                std::vector<T*> bufs, sums;
                for (array& b : buffers) bufs.push_back(b.data<T>());
                for (std::int64_t q = 0; q < parts; ++q)
                {
                    partials.push_back(q == 0 ? gw : array::full(g.weight_shape(), 0.0, x.dtype()));
                    sums.push_back(partials.back().template data<T>());
                }
                const T* xs = x.data<T>();
                const T* gys = gy.data<T>();
                std::exception_ptr failure;   // exceptions cannot leave the parallel region
                detail::parallel_for(parts, 1, [&](std::int64_t qb, std::int64_t qe) {
                    T* buffer = bufs[static_cast<std::size_t>(detail::thread_index())];
                    for (std::int64_t q = qb; q < qe; ++q)
                    {
                        const std::int64_t first = q * g.n / parts, last = (q + 1) * g.n / parts;
                        if constexpr (std::is_same_v<T, float>)
                        {
                            if (dnnl)
                            {
                                try
                                {
                                    conv_detail::dnnl_weight_grad(x, gy, first, last, sums[q], g, staged.get());
                                }
                                catch (...)
                                {
#pragma omp critical(adjoint_conv_weight_grad)
                                    if (!failure)
                                    {
                                        failure = std::current_exception();
                                    }
                                }
                                continue;
                            }
                        }
                        for (std::int64_t i = first; i < last; ++i)
                        {
                            const T* col = columns(xs + i * s.image_size, buffer, g, s);
                            for (std::int64_t gi = 0; gi < g.groups; ++gi)
                            {
                                gemm(false, true, s.cout_g, s.k, s.p, T(1), gys + i * s.output_size + gi * s.cout_g * s.p,
                                     s.p, col + gi * s.k * s.p, s.p, T(1), sums[q] + gi * s.cout_g * s.k, s.k);
                            }
                        }
                    }
                });
                if (failure)
                {
                    std::rethrow_exception(failure);
                }
                const std::int64_t total = gw.numel();
                for (std::int64_t q = 1; q < parts; ++q)
                {
                    for (std::int64_t e = 0; e < total; ++e)
                    {
                        sums[0][e] += sums[q][e];
                    }
                }
                return;
            }
            array buffer = scratch(x.dtype(), s.direct ? 0 : s.col_rows, s.p, "conv2d_weight_grad");
            const T* xs = x.data<T>();
            const T* gys = gy.data<T>();
            T* gws = gw.data<T>();
            for (std::int64_t i = 0; i < g.n; ++i)
            {
                const T* col = columns(xs + i * s.image_size, buffer.data<T>(), g, s);
                for (std::int64_t gi = 0; gi < g.groups; ++gi)
                {
                    // gw_g [cout_g, K] += gy_g [cout_g, P] @ col_g^T [P, K]
                    gemm(false, true, s.cout_g, s.k, s.p, T(1), gys + i * s.output_size + gi * s.cout_g * s.p, s.p,
                         col + gi * s.k * s.p, s.p, T(1), gws + gi * s.cout_g * s.k, s.k);
                }
            }
        });
        return gw;
    }

    namespace
    {
        // One plane of add_channel_bias_: + b, then relu's max(., 0) (x <= 0 is false for NaN).
        // Restrict pointers and a select, so that the loop vectorises (see elementwise.cpp).
        template <class T>
        void bias_plane(T* __restrict row, std::int64_t n, T b, bool relu)
        {
            if (relu)
            {
                for (std::int64_t e = 0; e < n; ++e)
                {
                    const T v = row[e] + b;
                    row[e] = v <= T(0) ? T(0) : v;
                }
                return;
            }
            for (std::int64_t e = 0; e < n; ++e)
            {
                row[e] += b;
            }
        }
    }

    void add_channel_bias_(array& y, const array& bias, bool relu)
    {
        if (!bias.defined() && !relu)
        {
            return;
        }
        const std::int64_t n = y.size(0), c = y.size(1);
        const std::int64_t inner = n * c != 0 ? y.numel() / (n * c) : 0;
        if (bias.defined() && bias.shape() != shape_t{c})
        {
            throw std::logic_error(detail::str("add_channel_bias_: bias must have shape ", shape_str({c}), ", got ",
                                               shape_str(bias.shape())));
        }
        detail::dispatch_floating(y.dtype(), "conv2d", [&](auto t) {
            using T = decltype(t);
            T* ys = y.data<T>();
            const T* bs = bias.defined() ? bias.data<T>() : nullptr;
            // Planes [n * c] over the threads, at least 32K elements a chunk.
            const std::int64_t grain = std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(inner, 1));
            detail::parallel_for(n * c, grain, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t plane = begin; plane < end; ++plane)
                {
                    bias_plane(ys + plane * inner, inner, bs != nullptr ? bs[plane % c] : T(0), relu);
                }
            });
        });
    }

    array channel_sum(const array& g)
    {
        // The bias gradient is a sum over axes (0, 2, 3, ...): reduce_sum adds each sample's
        // contiguous channel plane with independent double partial sums (accurate for float32,
        // and they vectorise, unlike one running double per channel), then adds over the batch.
        std::vector<std::int64_t> axes{0};
        for (std::int64_t a = 2; a < g.dim(); ++a)
        {
            axes.push_back(a);
        }
        return reduce_sum(g, axes).reshaped({g.size(1)});
    }
}
