// interpolate: resampling of [N, C, H, W] images (rank 4 only: PyTorch reads rank 3 as 1-d) to a
// given size or by a scale factor, modes "nearest" and "bilinear", with PyTorch 1.13's
// source-index rules (core/interpolate_kernels). Nearest's gradient sums into the source
// pixel; bilinear's is its adjoint. Not here: linear, bicubic, trilinear, area and
// nearest-exact modes, antialias, 1-d and 3-d inputs.
#pragma once
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/core/conv_geometry.hpp>

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace adjoint
{
    // Exactly one of size and scale_factor must be set:
    // interpolate_options().scale_factor(2).mode("bilinear").align_corners(false).
    class interpolate_options
    {
    public:
        interpolate_options& size(std::int64_t s) { return size(s, s); }
        interpolate_options& size(std::int64_t h, std::int64_t w) { m_size = pair_t{h, w}; return *this; }
        interpolate_options& scale_factor(double s) { return scale_factor(s, s); }
        interpolate_options& scale_factor(double h, double w)
        {
            m_scale_factor = std::array<double, 2>{h, w};
            return *this;
        }
        interpolate_options& mode(std::string m) { m_mode = std::move(m); return *this; }   // "nearest", "bilinear"
        interpolate_options& align_corners(bool on) { m_align_corners = on; return *this; }   // bilinear only
        // With a scale factor: compute the output size from it, then resample as if that size
        // had been given (source positions from in/out instead of 1/scale_factor).
        interpolate_options& recompute_scale_factor(bool on) { m_recompute_scale_factor = on; return *this; }

        const std::optional<pair_t>& size() const { return m_size; }
        const std::optional<std::array<double, 2>>& scale_factor() const { return m_scale_factor; }
        const std::string& mode() const { return m_mode; }
        const std::optional<bool>& align_corners() const { return m_align_corners; }
        bool recompute_scale_factor() const { return m_recompute_scale_factor; }

    private:
        std::optional<pair_t> m_size;
        std::optional<std::array<double, 2>> m_scale_factor;
        std::string m_mode = "nearest";
        std::optional<bool> m_align_corners;
        bool m_recompute_scale_factor = false;
    };

    // x: [N, C, H, W] -> [N, C, H_out, W_out] with H_out = size
    // or floor(H * scale_factor). Nearest: source row min(floor(oh * s), H-1) with s =
    // 1/scale_factor when a scale factor was given, else H/H_out (float32, as PyTorch).
    // Bilinear: align_corners=false (the default) samples at (o + 0.5)*s - 0.5 clamped at 0;
    // align_corners=true at o*(H-1)/(H_out-1).
    Tensor interpolate(const Tensor& x, const interpolate_options& options);
}
