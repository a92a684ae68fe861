// linear: shape checks in the layer's own terms (in_features, out_features), then
// matmul(x, W^T) + b. The transpose of W is a copy of the weight, small next to the product.
#include <adjoint/autograd/linear.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>

#include <stdexcept>

namespace adjoint
{
    Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias)
    {
        if (!x.defined() || !weight.defined())
        {
            throw std::invalid_argument("linear: expected defined input and weight, got an undefined tensor");
        }
        if (weight.dim() != 2)
        {
            throw std::invalid_argument(detail::str("linear: expected a 2-d weight (out_features, in_features), got shape ",
                                                    shape_str(weight.shape())));
        }
        const std::int64_t out_features = weight.size(0), in_features = weight.size(1);
        if (x.dim() == 0 || x.shape().back() != in_features)
        {
            throw std::invalid_argument(detail::str("linear: expected input with last dimension ", in_features,
                                                    " (in_features), got shape ", shape_str(x.shape())));
        }
        if (bias.defined() && bias.shape() != shape_t{out_features})
        {
            throw std::invalid_argument(detail::str("linear: expected bias of shape (", out_features,
                                                    ",) (out_features), got shape ", shape_str(bias.shape())));
        }
        detail::check_same_dtype("linear", {x, weight, bias});
        const Tensor y = matmul(x, transpose(weight, 0, 1));
        return bias.defined() ? y + bias : y;
    }
}
