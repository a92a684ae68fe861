// Pooling with PyTorch 1.13's semantics: max_pool2d (optionally with its argmax indices),
// avg_pool2d and adaptive_avg_pool2d, on [N, C, H, W] or unbatched [C, H, W] inputs. Window
// geometry and its validation come from core/conv_geometry (pool2d_geometry); the values from
// core/pool_kernels. Not here: 1-d / 3-d pooling, max_unpool, fractional or LP pooling,
// adaptive max pooling, and None entries in adaptive output sizes.
#pragma once
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/core/conv_geometry.hpp>

#include <cstdint>
#include <optional>

namespace adjoint
{
    // Options for max_pool2d; kernel_size is required, stride defaults to kernel_size:
    // max_pool2d_options(3).stride(2).padding(1).
    class max_pool2d_options
    {
    public:
        explicit max_pool2d_options(std::int64_t k) : max_pool2d_options(k, k) {}
        max_pool2d_options(std::int64_t kh, std::int64_t kw) : m_kernel_size{kh, kw} {}

        max_pool2d_options& kernel_size(std::int64_t k) { return kernel_size(k, k); }
        max_pool2d_options& kernel_size(std::int64_t h, std::int64_t w) { m_kernel_size = {h, w}; return *this; }
        max_pool2d_options& stride(std::int64_t s) { return stride(s, s); }
        max_pool2d_options& stride(std::int64_t h, std::int64_t w) { m_stride = pair_t{h, w}; return *this; }
        max_pool2d_options& padding(std::int64_t p) { return padding(p, p); }
        max_pool2d_options& padding(std::int64_t h, std::int64_t w) { m_padding = {h, w}; return *this; }
        max_pool2d_options& dilation(std::int64_t d) { return dilation(d, d); }
        max_pool2d_options& dilation(std::int64_t h, std::int64_t w) { m_dilation = {h, w}; return *this; }
        max_pool2d_options& ceil_mode(bool on) { m_ceil_mode = on; return *this; }

        const pair_t& kernel_size() const { return m_kernel_size; }
        pair_t stride() const { return m_stride.value_or(m_kernel_size); }
        const pair_t& padding() const { return m_padding; }
        const pair_t& dilation() const { return m_dilation; }
        bool ceil_mode() const { return m_ceil_mode; }

    private:
        pair_t m_kernel_size;
        std::optional<pair_t> m_stride;
        pair_t m_padding{0, 0}, m_dilation{1, 1};
        bool m_ceil_mode = false;
    };

    // Options for avg_pool2d (no dilation, as in PyTorch); stride defaults to kernel_size.
    class avg_pool2d_options
    {
    public:
        explicit avg_pool2d_options(std::int64_t k) : avg_pool2d_options(k, k) {}
        avg_pool2d_options(std::int64_t kh, std::int64_t kw) : m_kernel_size{kh, kw} {}

        avg_pool2d_options& kernel_size(std::int64_t k) { return kernel_size(k, k); }
        avg_pool2d_options& kernel_size(std::int64_t h, std::int64_t w) { m_kernel_size = {h, w}; return *this; }
        avg_pool2d_options& stride(std::int64_t s) { return stride(s, s); }
        avg_pool2d_options& stride(std::int64_t h, std::int64_t w) { m_stride = pair_t{h, w}; return *this; }
        avg_pool2d_options& padding(std::int64_t p) { return padding(p, p); }
        avg_pool2d_options& padding(std::int64_t h, std::int64_t w) { m_padding = {h, w}; return *this; }
        avg_pool2d_options& ceil_mode(bool on) { m_ceil_mode = on; return *this; }
        avg_pool2d_options& count_include_pad(bool on) { m_count_include_pad = on; return *this; }
        avg_pool2d_options& divisor_override(std::optional<std::int64_t> d) { m_divisor_override = d; return *this; }

        const pair_t& kernel_size() const { return m_kernel_size; }
        pair_t stride() const { return m_stride.value_or(m_kernel_size); }
        const pair_t& padding() const { return m_padding; }
        bool ceil_mode() const { return m_ceil_mode; }
        bool count_include_pad() const { return m_count_include_pad; }
        const std::optional<std::int64_t>& divisor_override() const { return m_divisor_override; }

    private:
        pair_t m_kernel_size;
        std::optional<pair_t> m_stride;
        pair_t m_padding{0, 0};
        bool m_ceil_mode = false, m_count_include_pad = true;
        std::optional<std::int64_t> m_divisor_override;
    };

    struct values_and_indices
    {
        Tensor values;    // differentiable
        Tensor indices;   // int64, no gradient
    };

    // x: [N, C, H, W] or [C, H, W] -> [N, C, H_out, W_out] (or unbatched), H_out by
    // pool_output_extent. Padding is -inf (never picked); ties go to the first maximum in
    // window scan order; NaN propagates. The gradient goes to the argmax only.
    Tensor max_pool2d(const Tensor& x, const max_pool2d_options& options);
    // The same, plus each output's argmax as PyTorch's flat index ih*W + iw into its input
    // plane (-1 for a window wholly in the padding, possible only with dilation; PyTorch
    // returns an out-of-range index there).
    values_and_indices max_pool2d_with_indices(const Tensor& x, const max_pool2d_options& options);

    Tensor avg_pool2d(const Tensor& x, const avg_pool2d_options& options);

    // output_size (H_out, W_out), each >= 0: output (i, j) averages rows
    // [floor(i*H/H_out), ceil((i+1)*H/H_out)) and the same for columns.
    Tensor adaptive_avg_pool2d(const Tensor& x, const pair_t& output_size);
    Tensor adaptive_avg_pool2d(const Tensor& x, std::int64_t output_size);

    // The plane-level differentiable ops these are made of, exposed for interpolate and for
    // tests. A "plane" is one [h, w] image; index is int64 [planes, P] or [1, P] (shared),
    // flat within the plane, -1 reading zero (see core/pool_kernels.hpp).
    namespace detail
    {
        // y[plane, p] = x[plane, index[p]]: [..., h, w] -> [..., h_out, w_out]. Its gradient is
        // scatter_add_planes with the same index; `name` is the op recorded in the graph.
        Tensor gather_planes(const Tensor& x, const array& index, std::int64_t h_out, std::int64_t w_out,
                             const char* name = "gather_planes");
        // The adjoint: zeros of x_shape with g added at the indexed positions. Its gradient is
        // gather_planes with the same index.
        Tensor scatter_add_planes(const Tensor& g, const array& index, const shape_t& x_shape);
    }
}
