// oneDNN's convolution primitives behind the three conv kernels, for float32 convolutions
// without groups: forward, backward-data and backward-weights map one to one onto
// conv_forward, conv_input_grad and conv_weight_grad (conv_kernels.hpp), so the transposed
// convolution's forward is still the backward-data primitive, as it is im2col's col2im
// path. The primitives run on oneDNN's blocked layouts; plain NCHW tensors are reordered in
// and out, in buffers of adjoint's allocator. Internal to conv_kernels.cpp, which chooses
// this path (use_dnnl) on its fast path only: the reference path stays im2col + GEMM.
// Without oneDNN in the build, use_dnnl is false and the rest is never called.
#pragma once
#include <adjoint/core/array.hpp>
#include <adjoint/core/conv_geometry.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace adjoint::kernels::conv_detail
{
    // Whether oneDNN runs this convolution: float32, groups == 1, more than one input and
    // output channel, no zero-sized dimension, and an end padding (implied by the output
    // size) that is not negative.
    bool use_dnnl(const conv_geometry& g, adjoint::dtype dt);

    // Shapes as in conv_kernels.hpp; every output element is overwritten. Forward and
    // backward-data use the thread count of core/threads.hpp; each output element is one
    // thread's sum, so they do not depend on it. The forward adds `bias` ([c_out], or
    // undefined for none) and, with relu, applies max(., 0) (a post-op) inside the
    // primitive, before its one store of each output.
    void dnnl_forward(const array& x, const array& weight, const array& bias, bool relu, array& y,
                      const conv_geometry& g);
    void dnnl_input_grad(const array& gy, const array& weight, array& gx, const conv_geometry& g);

    // The blocked copy of its input that the last dnnl_forward or dnnl_input_grad call made
    // (one, process-wide), handed to the weight gradient that follows it. A convolution's
    // backward runs the input gradient on gy and then the weight gradient on gy again (a
    // transposed convolution's, the forward on gx and then the weight gradient on gx), and
    // without this both reorder the same tensor. Claiming empties the slot, so at most one
    // such copy outlives its call; it is used only while its array is unchanged (same
    // storage and version).
    struct staged_input;
    std::shared_ptr<const staged_input> claim_staged();

    // How many times, since the process started, a convolution read its input from the blocked
    // output that the fused conv-relu forward before it kept (instead of reordering the plain
    // one): the next dnnl_forward or dnnl_input_grad takes that copy when its input is that
    // output, unchanged (same storage and version), and empties the slot either way. For tests
    // and the benchmark.
    std::uint64_t reused_outputs();

    // Which of oneDNN's algorithms runs the three primitives of `g` (whole batch, with the
    // thread count of now): "winograd" (3x3, stride 1, at least 32 channels on each side and
    // enough pixels, where oneDNN has it) or "direct"; "none" where use_dnnl is false. Builds
    // the primitives if they are not built yet. For tests and the benchmark.
    std::string algorithm_of(const conv_geometry& g);

    // The weight gradient of samples [first, last) of x [n, c_in, h, w] and gy [n, c_out,
    // h_out, w_out] (g is the whole batch's geometry) into gw [c_out, c_in, kh, kw], on the
    // calling thread alone: oneDNN splits its sum by its thread count, so the caller splits
    // the batch in a fixed way and adds the parts (conv_kernels.cpp), and the result is the
    // same on any number of threads. `staged` (may be null) is read, never changed.
    void dnnl_weight_grad(const array& x, const array& gy, std::int64_t first, std::int64_t last, float* gw,
                          const conv_geometry& g, const staged_input* staged);
}
