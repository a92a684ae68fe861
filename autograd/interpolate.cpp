// interpolate: argument validation in PyTorch's order, the output size, and the two modes.
// Nearest is a gather through kernels::nearest_index_map (autograd/pooling.hpp's
// gather_planes, whose gradient is the scatter-add); bilinear is a pair of ops, forward
// and adjoint, each the other's backward. No index arithmetic here.
#include <adjoint/autograd/interpolate.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/pooling.hpp>
#include <adjoint/core/interpolate_kernels.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        using kernels::resample_dim;

        Tensor bilinear_backward(const Tensor& gy, const resample_dim& h, const resample_dim& w, bool align_corners,
                                 const shape_t& x_shape);

        Tensor bilinear(const Tensor& x, const resample_dim& h, const resample_dim& w, bool align_corners)
        {
            return detail::record(kernels::upsample_bilinear2d(x.data(), h, w, align_corners), "upsample_bilinear2d",
                                  {x},
                                  [h, w, align_corners, xs = x.shape()](const Tensor& gy, const std::vector<bool>&) -> tensor_list {
                                      return {bilinear_backward(gy, h, w, align_corners, xs)};
                                  },
                                  detail::saves::nothing());
        }

        Tensor bilinear_backward(const Tensor& gy, const resample_dim& h, const resample_dim& w, bool align_corners,
                                 const shape_t& x_shape)
        {
            return detail::record(kernels::upsample_bilinear2d_backward(gy.data(), h, w, align_corners, x_shape),
                                  "upsample_bilinear2d_backward", {gy},
                                  [h, w, align_corners](const Tensor& ggx, const std::vector<bool>&) -> tensor_list {
                                      return {bilinear(ggx, h, w, align_corners)};
                                  },
                                  detail::saves::nothing());
        }

        std::string size_str(std::int64_t h, std::int64_t w) { return detail::str("(", h, ", ", w, ")"); }
    }

    Tensor interpolate(const Tensor& x, const interpolate_options& o)
    {
        const char* op = "interpolate";
        if (!x.defined())
        {
            throw std::invalid_argument("interpolate: expected a defined input tensor, got an undefined one");
        }
        const std::string& mode = o.mode();
        if (mode != "nearest" && mode != "bilinear")
        {
            throw std::invalid_argument(detail::str(op, ": mode must be \"nearest\" or \"bilinear\", got \"", mode,
                                                    "\""));
        }
        if (mode == "nearest" && o.align_corners())
        {
            throw std::invalid_argument(
                "interpolate: align_corners can only be set with mode=\"bilinear\", got mode=\"nearest\"; leave it unset");
        }
        const shape_t& s = x.shape();
        if (s.size() != 4)
        {
            // PyTorch reads a rank-3 input as (N, C, L) for 1-d resampling, not as an unbatched image.
            throw std::invalid_argument(detail::str(op, ": expected an input of rank 4 (N, C, H, W), got shape ",
                                                    shape_str(s), " (rank ", s.size(),
                                                    "); for an unbatched (C, H, W) image add the batch axis with unsqueeze(x, 0)"));
        }
        if (x.dtype() == int64)
        {
            throw std::invalid_argument(
                "interpolate: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first");
        }
        if (o.size() && o.scale_factor())
        {
            throw std::invalid_argument("interpolate: expected only one of size and scale_factor, got both");
        }
        if (!o.size() && !o.scale_factor())
        {
            throw std::invalid_argument("interpolate: expected one of size or scale_factor, got neither");
        }
        const std::int64_t h = s[s.size() - 2], w = s[s.size() - 1];
        resample_dim dh{h, 0, std::nullopt}, dw{w, 0, std::nullopt};
        if (o.size())
        {
            dh.out = (*o.size())[0];
            dw.out = (*o.size())[1];
        }
        else
        {
            const auto& sf = *o.scale_factor();
            // PyTorch: floor(in * scale) in double.
            dh.out = static_cast<std::int64_t>(std::floor(static_cast<double>(h) * sf[0]));
            dw.out = static_cast<std::int64_t>(std::floor(static_cast<double>(w) * sf[1]));
            if (!o.recompute_scale_factor())
            {
                dh.scale = sf[0];
                dw.scale = sf[1];
            }
        }
        if (h < 1 || w < 1 || dh.out < 1 || dw.out < 1)
        {
            throw std::invalid_argument(detail::str(op, ": input and output sizes must be > 0, got input (H, W) = ",
                                                    size_str(h, w), " and output (H, W) = ", size_str(dh.out, dw.out)));
        }
        if (mode == "nearest")
        {
            return detail::gather_planes(x, kernels::nearest_index_map(dh, dw), dh.out, dw.out, "upsample_nearest2d");
        }
        return bilinear(x, dh, dw, o.align_corners().value_or(false));
    }
}
