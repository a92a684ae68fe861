// oneDNN convolution primitives for the conv kernels (see conv_dnnl.hpp).
//
// Why: measured on this machine (1 thread, TinySeg's layers, blocked layouts with the
// reorders counted), oneDNN's direct AVX-512 kernels take 0.6-0.8x the time of im2col +
// sgemm for the forward and backward-data, and 0.2-0.8x for the weight gradient, whose
// GEMM (c_out x K outputs, a reduction over every output pixel) oneDNN's sgemm runs at
// 15-50 GFLOP/s. Primitive descriptors are built once per geometry and kept (a bounded map);
// every buffer a call needs (reorders, scratchpad) comes from adjoint's caching allocator,
// so a training step allocates nothing new from the system. The forward adds the bias and
// (for the fused conv-relu op) the relu itself; the blocked copy of gy made for the input
// gradient is reused by the weight gradient (claim_staged), and the blocked output of a
// fused conv-relu forward is kept until the next call, which reads it instead of reordering
// that output back in when it is its input (a chain of fused layers, where no graph is
// recorded). 3x3 stride-1 convolutions with enough channels run oneDNN's Winograd kernels
// instead of its direct ones (winograd_pays: chosen per geometry, all three primitives
// alike, by measurement). Not done: keeping activations in blocked layouts between layers otherwise
// (every tensor outside this file is plain NCHW, and the plain output is always written).
#include <adjoint/core/conv_dnnl.hpp>

#ifdef ADJOINT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#endif

namespace adjoint::kernels::conv_detail
{
#ifndef ADJOINT_HAVE_DNNL
    struct staged_input
    {
    };
    bool use_dnnl(const conv_geometry&, adjoint::dtype) { return false; }
    void dnnl_forward(const array&, const array&, const array&, bool, array&, const conv_geometry&) {}
    void dnnl_input_grad(const array&, const array&, array&, const conv_geometry&) {}
    std::shared_ptr<const staged_input> claim_staged() { return nullptr; }
    std::uint64_t reused_outputs() { return 0; }
    std::string algorithm_of(const conv_geometry&) { return "none"; }
    void dnnl_weight_grad(const array&, const array&, std::int64_t, std::int64_t, float*, const conv_geometry&,
                          const staged_input*)
    {
    }
#else
    struct staged_input
    {
        std::uint64_t storage = 0, version = 0;   // the plain array it copies, as it was then
        const float* data = nullptr;
        dnnl::memory::desc desc;                  // the copy's layout, for the whole batch
        array buffer;
    };

    namespace
    {
        using tag = dnnl::memory::format_tag;
        using dims = dnnl::memory::dims;

        dnnl::engine& cpu()
        {
            static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
            return engine;
        }

        // The end padding that gives the geometry's output size: out = (in + begin + end -
        // dilated kernel) / stride + 1, at its smallest (the rows past it are never read).
        std::int64_t end_padding(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                                 std::int64_t dilation, std::int64_t begin)
        {
            return (out - 1) * stride + (kernel - 1) * dilation + 1 - in - begin;
        }

        // The geometry, the thread count the primitives were made for (oneDNN fixes its work
        // split when it builds a primitive, from the threads OpenMP offers then) and what the
        // forward does in its output pass (bias, relu).
        using geometry_key = std::array<std::int64_t, 16>;

        geometry_key key_of(const conv_geometry& g, int threads, bool bias, bool relu)
        {
            return {g.n, g.c_in, g.h, g.w, g.c_out, g.kh, g.kw, g.h_out, g.w_out, g.stride_h, g.stride_w, g.pad_top,
                    g.pad_left, (g.dilation_h << 32) | g.dilation_w, threads, (bias ? 1 : 0) | (relu ? 2 : 0)};
        }

        // Runs a scope with OpenMP (and so oneDNN) offering one thread to the calling thread
        // (with `on` false it changes nothing).
        //
        // Inside an active OpenMP region oneDNN runs a primitive's threads one after the
        // other on the calling thread, so a primitive built for 2 threads whose threads meet
        // at a barrier waits forever (seen: the weight gradient, called from the batch
        // split's region, hung). A primitive built for one thread has no barrier to wait at.
        class one_thread
        {
        public:
            explicit one_thread(bool on = true) : m_on(on), m_saved(omp_get_max_threads())
            {
                if (m_on)
                {
                    omp_set_num_threads(1);
                }
            }
            ~one_thread()
            {
                if (m_on)
                {
                    omp_set_num_threads(m_saved);
                }
            }
            one_thread(const one_thread&) = delete;
            one_thread& operator=(const one_thread&) = delete;

        private:
            bool m_on;
            int m_saved;
        };

        // Whether oneDNN's Winograd kernels (F(4x4, 3x3), AVX-512 only) should run this
        // geometry. They do 2.25-4x fewer multiplies than the direct kernels but transform
        // every 6x6 input tile and 4x4 output tile, which pays only with enough channels on
        // both sides and enough work per sample. Measured at 1 thread on this machine
        // (docs/benchmarks.md, "Winograd"): faster in all three primitives for 32-128
        // channels on maps from 16x16 (64 channels) or 32x32 (32 channels) up, e.g. B1's
        // 64 -> 64 on 128x128 1.7x (forward), 1.8x (data), 2.9x (weights); slower with 16
        // channels or fewer (16 -> 16 on 64x64: forward 2.1x the time) and on small maps
        // (32 -> 32 on 8x8: 1.8x). Its rounding differs from the direct kernels' (relative
        // error about 2e-6 against them, measured) but not with the thread count.
        bool winograd_pays(const conv_geometry& g)
        {
            return g.kh == 3 && g.kw == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
                   g.dilation_w == 1 && g.c_in >= 32 && g.c_out >= 32 &&
                   g.c_in * g.c_out * g.h_out * g.w_out >= (std::int64_t{1} << 20);
        }

        // The three primitives of one geometry, on layouts oneDNN picks (format_tag::any).
        struct primitives
        {
            dnnl::algorithm algo;
            dnnl::memory::desc src_plain, weights_plain, dst_plain;
            dnnl::convolution_forward::primitive_desc forward_pd;
            dnnl::convolution_backward_data::primitive_desc data_pd;
            dnnl::convolution_backward_weights::primitive_desc weights_pd;
            dnnl::convolution_forward forward;
            dnnl::convolution_backward_data data;
            dnnl::convolution_backward_weights weights;

            // Built with the threads OpenMP offers now (one_thread for the weight gradient).
            // Throws dnnl::error where oneDNN has no kernel for `algorithm` here.
            primitives(const conv_geometry& g, bool bias, bool relu, dnnl::algorithm algorithm) : algo(algorithm)
            {
                const auto f32 = dnnl::memory::data_type::f32;
                const dims src{g.n, g.c_in, g.h, g.w}, wei{g.c_out, g.c_in, g.kh, g.kw},
                    dst{g.n, g.c_out, g.h_out, g.w_out};
                src_plain = dnnl::memory::desc(src, f32, tag::nchw);
                weights_plain = dnnl::memory::desc(wei, f32, tag::oihw);
                dst_plain = dnnl::memory::desc(dst, f32, tag::nchw);
                const dnnl::memory::desc src_any(src, f32, tag::any), wei_any(wei, f32, tag::any),
                    dst_any(dst, f32, tag::any);
                const dims strides{g.stride_h, g.stride_w};
                const dims dilates{g.dilation_h - 1, g.dilation_w - 1};   // oneDNN counts the gaps
                const dims pad_l{g.pad_top, g.pad_left};
                const dims pad_r{end_padding(g.h, g.h_out, g.kh, g.stride_h, g.dilation_h, g.pad_top),
                                 end_padding(g.w, g.w_out, g.kw, g.stride_w, g.dilation_w, g.pad_left)};
                dnnl::primitive_attr attr;
                attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);   // our buffer: no hidden allocation
                const auto forward_desc =
                    bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, src_any, wei_any,
                                                           dnnl::memory::desc({g.c_out}, f32, tag::x), dst_any, strides,
                                                           dilates, pad_l, pad_r)
                         : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, src_any, wei_any,
                                                           dst_any, strides, dilates, pad_l, pad_r);
                dnnl::primitive_attr forward_attr;   // not a copy of attr: a copy shares its handle
                forward_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
                if (relu)
                {
                    dnnl::post_ops ops;
                    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
                    forward_attr.set_post_ops(ops);
                }
                forward_pd = dnnl::convolution_forward::primitive_desc(forward_desc, forward_attr, cpu());
                data_pd = dnnl::convolution_backward_data::primitive_desc(
                    dnnl::convolution_backward_data::desc(algo, src_any, wei_any, dst_any, strides, dilates, pad_l,
                                                          pad_r),
                    attr, cpu(), forward_pd);
                weights_pd = dnnl::convolution_backward_weights::primitive_desc(
                    dnnl::convolution_backward_weights::desc(algo, src_any, wei_any, dst_any, strides, dilates, pad_l,
                                                             pad_r),
                    attr, cpu(), forward_pd);
                forward = dnnl::convolution_forward(forward_pd);
                data = dnnl::convolution_backward_data(data_pd);
                weights = dnnl::convolution_backward_weights(weights_pd);
            }
        };

        // Built once per geometry. A model has a handful; the bound only stops a program
        // that sweeps sizes from growing the map without end.
        std::shared_ptr<const primitives> primitives_for(const conv_geometry& g, bool bias = false, bool relu = false)
        {
            static std::mutex mutex;
            static std::map<geometry_key, std::shared_ptr<const primitives>> cache;
            const geometry_key key = key_of(g, omp_get_max_threads(), bias, relu);
            {
                const std::lock_guard<std::mutex> lock(mutex);
                const auto it = cache.find(key);
                if (it != cache.end())
                {
                    return it->second;
                }
            }
            // Outside the lock: it takes a while. Winograd where it pays and oneDNN has it for
            // this machine (AVX-512) and these layouts, else (or when it refuses) direct.
            std::shared_ptr<const primitives> made;
            if (winograd_pays(g))
            {
                try
                {
                    made = std::make_shared<const primitives>(g, bias, relu, dnnl::algorithm::convolution_winograd);
                }
                catch (const dnnl::error&)
                {
                }
            }
            if (made == nullptr)
            {
                made = std::make_shared<const primitives>(g, bias, relu, dnnl::algorithm::convolution_direct);
            }
            const std::lock_guard<std::mutex> lock(mutex);
            if (cache.size() >= 256)
            {
                cache.clear();
            }
            return cache.emplace(key, std::move(made)).first->second;
        }

        // Bytes from adjoint's allocator, for a oneDNN memory of `d`.
        array buffer_for(const dnnl::memory::desc& d)
        {
            const std::int64_t floats = static_cast<std::int64_t>((d.get_size() + sizeof(float) - 1) / sizeof(float));
            return array::empty({std::max<std::int64_t>(floats, 1)}, float32, "conv2d");
        }

        // Copies `from` into `to` (same values, another layout). A small copy (under 256 KiB:
        // every layer's weights here) runs on the calling thread alone: sharing it costs more
        // than it saves. Measured with DNNL_VERBOSE on TinySeg at 2 threads, per call:
        // 32x16x3x3 weights 0.028 ms shared against 0.005 alone, 64x32x4x4 0.043 against 0.025
        // (docs/benchmarks.md).
        void copy_layout(dnnl::memory from, dnnl::memory to, dnnl::stream& s)   // handles: copies are cheap
        {
            constexpr std::size_t small_bytes = std::size_t(1) << 18;
            // The plain side's size: the blocked one may pad channels to 16.
            const one_thread alone(std::min(from.get_desc().get_size(), to.get_desc().get_size()) < small_bytes);
            dnnl::reorder(from, to).execute(s, from, to);
        }

        // A tensor's plain buffer as the primitive wants it: the buffer itself when the
        // layouts agree, else a reordered copy (`keep` holds its storage).
        dnnl::memory input(const dnnl::memory::desc& plain, const float* data, const dnnl::memory::desc& wanted,
                           dnnl::stream& s, array& keep)
        {
            dnnl::memory user(plain, cpu(), const_cast<float*>(data));
            if (plain == wanted)
            {
                return user;
            }
            keep = buffer_for(wanted);
            dnnl::memory staged(wanted, cpu(), keep.data<float>());
            copy_layout(user, staged, s);
            return staged;
        }

        // claim_staged's slot.
        std::mutex staged_mutex;
        std::shared_ptr<const staged_input> staged_slot;

        // The blocked output of the last fused conv-relu forward (see the file's comment), and
        // how many reorders it saved (reused_outputs).
        std::mutex output_mutex;
        std::shared_ptr<const staged_input> output_slot;
        std::atomic<std::uint64_t> output_hits{0};

        // Whether `copy` holds `a` as it is now (same storage, version and buffer).
        bool holds(const staged_input& copy, const array& a)
        {
            return copy.storage == a.storage_id() && copy.version == a.version() && copy.data == a.data<float>();
        }

        std::shared_ptr<const staged_input> copy_of(const array& a, const dnnl::memory::desc& desc, const array& buffer)
        {
            auto copy = std::make_shared<staged_input>();
            copy->storage = a.storage_id();
            copy->version = a.version();
            copy->data = a.data<float>();
            copy->desc = desc;
            copy->buffer = buffer;
            return copy;
        }

        // The kept output when it is `a`, unchanged, in the layout wanted; else null. Either
        // way the slot is emptied: a kept output lives until the next convolution asks for its
        // input, so it never holds memory past the layer after the one that made it.
        std::shared_ptr<const staged_input> take_output(const array& a, const dnnl::memory::desc& wanted)
        {
            std::shared_ptr<const staged_input> copy;
            {
                const std::lock_guard<std::mutex> lock(output_mutex);
                copy = std::move(output_slot);
            }
            if (copy == nullptr || !holds(*copy, a) || copy->desc != wanted)
            {
                return nullptr;
            }
            output_hits.fetch_add(1, std::memory_order_relaxed);
            return copy;
        }

        // input() for a whole array, from the kept output when that is `a`; the blocked copy
        // (if one was made or reused) goes to claim_staged's slot.
        dnnl::memory staged(const dnnl::memory::desc& plain, const array& a, const dnnl::memory::desc& wanted,
                            dnnl::stream& s, array& keep)
        {
            std::shared_ptr<const staged_input> copy = take_output(a, wanted);
            dnnl::memory m;
            if (copy != nullptr)
            {
                keep = copy->buffer;
                m = dnnl::memory(wanted, cpu(), keep.data<float>());
            }
            else
            {
                m = input(plain, a.data<float>(), wanted, s, keep);
                if (keep.defined())
                {
                    copy = copy_of(a, wanted, keep);
                }
            }
            if (copy != nullptr)
            {
                const std::lock_guard<std::mutex> lock(staged_mutex);
                staged_slot = std::move(copy);
            }
            return m;
        }

        // Samples [first, first + rows) of `a` as the weight gradient's primitive wants them
        // (`wanted`, for that many samples): a slice of the staged copy when it holds `a`
        // unchanged, in the same layout, for the whole batch (each layout tried keeps every
        // sample's values together, batch outermost); else a reorder of those samples.
        dnnl::memory block_input(const dnnl::memory::desc& plain, const array& a, std::int64_t first, std::int64_t rows,
                                 const dnnl::memory::desc& wanted, const staged_input* copy, dnnl::stream& s,
                                 array& keep)
        {
            const std::int64_t sample = a.numel() / std::max<std::int64_t>(a.size(0), 1);
            if (copy != nullptr && holds(*copy, a))
            {
                const dims whole = copy->desc.dims(), part = wanted.dims();
                if (whole.size() == 4 && part.size() == 4 && first + rows <= whole[0] &&
                    std::equal(whole.begin() + 1, whole.end(), part.begin() + 1))
                {
                    for (const tag t : {tag::aBcd16b, tag::aBcd8b, tag::aBcd4b, tag::acdb})
                    {
                        if (copy->desc == dnnl::memory::desc(whole, dnnl::memory::data_type::f32, t) &&
                            wanted == dnnl::memory::desc(part, dnnl::memory::data_type::f32, t))
                        {
                            const std::size_t per_sample = copy->desc.get_size() / static_cast<std::size_t>(whole[0]);
                            char* base = reinterpret_cast<char*>(const_cast<float*>(copy->buffer.data<float>()));
                            return dnnl::memory(wanted, cpu(), base + static_cast<std::size_t>(first) * per_sample);
                        }
                    }
                }
            }
            return input(plain, a.data<float>() + first * sample, wanted, s, keep);
        }

        // Where the primitive writes an output: the plain buffer itself, or a staging buffer
        // that finish() reorders into it.
        struct output
        {
            dnnl::memory user, target;
            array keep;
            output(const dnnl::memory::desc& plain, float* data, const dnnl::memory::desc& wanted)
                : user(plain, cpu(), data)
            {
                if (plain == wanted)
                {
                    target = user;
                }
                else
                {
                    keep = buffer_for(wanted);
                    target = dnnl::memory(wanted, cpu(), keep.data<float>());
                }
            }
            void finish(dnnl::stream& s)
            {
                if (target != user)
                {
                    copy_layout(target, user, s);
                }
            }
        };

        template <class PD>
        void run(const dnnl::primitive& p, const PD& pd, std::unordered_map<int, dnnl::memory> args, dnnl::stream& s)
        {
            const dnnl::memory::desc scratch_desc = pd.scratchpad_desc();
            array scratch;
            if (scratch_desc.get_size() > 0)
            {
                scratch = buffer_for(scratch_desc);
                args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratch_desc, cpu(), scratch.data<float>()));
            }
            p.execute(s, args);
        }
    }

    bool use_dnnl(const conv_geometry& g, adjoint::dtype dt)
    {
        if (dt != float32 || g.groups != 1 || g.n == 0 || g.c_in == 0 || g.c_out == 0 || g.h_out <= 0 ||
            g.w_out <= 0 || g.h == 0 || g.w == 0)
        {
            return false;
        }
        if (g.c_in == 1 || g.c_out == 1)
        {
            // One input or output channel (a grey first layer, a 1-channel head): oneDNN's
            // blocked layouts pad channels to 16 and it lost to im2col + sgemm there, measured
            // on bench/conv_bench's small model (training step 1.38 -> 1.07 ms, inference
            // 0.47 -> 0.20 ms) and TinySeg's 16 -> 1 head (step 34.8 -> 33.6 ms).
            return false;
        }
        return end_padding(g.h, g.h_out, g.kh, g.stride_h, g.dilation_h, g.pad_top) >= 0 &&
               end_padding(g.w, g.w_out, g.kw, g.stride_w, g.dilation_w, g.pad_left) >= 0;
    }

    void dnnl_forward(const array& x, const array& weight, const array& bias, bool relu, array& y,
                      const conv_geometry& g)
    {
        const one_thread alone(omp_in_parallel() != 0);   // called from a user's parallel region
        const auto p = primitives_for(g, bias.defined(), relu);
        dnnl::stream s(cpu());
        array keep_x, keep_w;
        const dnnl::memory src = staged(p->src_plain, x, p->forward_pd.src_desc(), s, keep_x);
        const dnnl::memory wei = input(p->weights_plain, weight.data<float>(), p->forward_pd.weights_desc(), s, keep_w);
        output dst(p->dst_plain, y.data<float>(), p->forward_pd.dst_desc());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst.target}};
        if (bias.defined())
        {
            args.emplace(DNNL_ARG_BIAS,
                         dnnl::memory(p->forward_pd.bias_desc(), cpu(), const_cast<float*>(bias.data<float>())));
        }
        run(p->forward, p->forward_pd, std::move(args), s);
        dst.finish(s);
        s.wait();
        if (relu && dst.keep.defined())
        {
            // Only the fused form: it runs where no graph is recorded (layers/conv.cpp), so the
            // next layer is likely another convolution and no backward is waiting for memory.
            auto copy = copy_of(y, p->forward_pd.dst_desc(), dst.keep);
            const std::lock_guard<std::mutex> lock(output_mutex);
            output_slot = std::move(copy);
        }
    }

    void dnnl_input_grad(const array& gy, const array& weight, array& gx, const conv_geometry& g)
    {
        const one_thread alone(omp_in_parallel() != 0);   // called from a user's parallel region
        const auto p = primitives_for(g);
        dnnl::stream s(cpu());
        array keep_gy, keep_w;
        const dnnl::memory diff_dst = staged(p->dst_plain, gy, p->data_pd.diff_dst_desc(), s, keep_gy);
        const dnnl::memory wei = input(p->weights_plain, weight.data<float>(), p->data_pd.weights_desc(), s, keep_w);
        output diff_src(p->src_plain, gx.data<float>(), p->data_pd.diff_src_desc());
        run(p->data, p->data_pd,
            {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, diff_src.target}}, s);
        diff_src.finish(s);
        s.wait();
    }

    std::uint64_t reused_outputs() { return output_hits.load(std::memory_order_relaxed); }

    std::string algorithm_of(const conv_geometry& g)
    {
        if (!use_dnnl(g, float32))
        {
            return "none";
        }
        return primitives_for(g)->algo == dnnl::algorithm::convolution_winograd ? "winograd" : "direct";
    }

    std::shared_ptr<const staged_input> claim_staged()
    {
        const std::lock_guard<std::mutex> lock(staged_mutex);
        return std::move(staged_slot);
    }

    void dnnl_weight_grad(const array& x, const array& gy, std::int64_t first, std::int64_t last, float* gw,
                          const conv_geometry& whole, const staged_input* copy)
    {
        const one_thread alone;
        conv_geometry g = whole;
        g.n = last - first;
        const auto p = primitives_for(g);
        dnnl::stream s(cpu());
        array keep_x, keep_gy;
        const dnnl::memory src = block_input(p->src_plain, x, first, g.n, p->weights_pd.src_desc(), copy, s, keep_x);
        const dnnl::memory diff_dst =
            block_input(p->dst_plain, gy, first, g.n, p->weights_pd.diff_dst_desc(), copy, s, keep_gy);
        output diff_wei(p->weights_plain, gw, p->weights_pd.diff_weights_desc());
        run(p->weights, p->weights_pd,
            {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_wei.target}}, s);
        diff_wei.finish(s);
        s.wait();
    }
#endif
}
