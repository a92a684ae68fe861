// dropout / dropout2d: the mask, already scaled by 1/(1-p), is drawn as a constant of the
// mask's shape (the input's, or one value per channel) and multiplies the input with
// broadcasting; the backward multiplies g by the same constant, which is the whole Jacobian.
#include <adjoint/autograd/dropout.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>

#include <stdexcept>

namespace adjoint
{
    void detail::check_dropout_probability(const char* op, double p)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw std::invalid_argument(detail::str(op, ": dropout probability has to be between 0 and 1, but got ", p));
        }
    }

    namespace
    {
        // x times a freshly drawn keep-mask of `mask_shape` (broadcast against x), each entry
        // 1/(1-p) with probability 1-p and 0 otherwise. Draws are made in float64 so a seed
        // gives the same mask for both dtypes.
        Tensor apply_mask(const char* op, const Tensor& x, double p, const shape_t& mask_shape)
        {
            if (x.dtype() == int64)
            {
                throw std::invalid_argument(detail::str(op, ": expected a float32 or float64 tensor, got int64; "
                                                            "convert it with .to(float32) first"));
            }
            Tensor factor;
            if (p == 1.0)
            {
                factor = zeros(mask_shape, x.dtype());   // 1/(1-p) would turn 0 * inf into NaN
            }
            else
            {
                factor = (ge(rand(mask_shape, float64), p) * (1.0 / (1.0 - p))).to(x.dtype());
            }
            return detail::record(kernels::binary(kernels::binary_op::mul, x.data(), factor.data()), op, {x},
                                  [factor](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                      return {g * factor};
                                  },
                                  detail::saves::nothing());
        }
    }

    Tensor dropout(const Tensor& x, double p, bool training)
    {
        detail::check_dropout_probability("dropout", p);
        if (!training || p == 0.0)
        {
            return x;
        }
        return apply_mask("dropout", x, p, x.shape());
    }

    Tensor dropout2d(const Tensor& x, double p, bool training)
    {
        detail::check_dropout_probability("dropout2d", p);
        if (x.dim() != 3 && x.dim() != 4)
        {
            throw std::invalid_argument(detail::str("dropout2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
                                                    shape_str(x.shape())));
        }
        if (!training || p == 0.0)
        {
            return x;
        }
        // One value per (sample, channel): the spatial dimensions are 1 and broadcast.
        shape_t mask_shape = x.shape();
        mask_shape[mask_shape.size() - 1] = 1;
        mask_shape[mask_shape.size() - 2] = 1;
        return apply_mask("dropout2d", x, p, mask_shape);
    }
}
