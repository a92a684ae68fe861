// Differentiable shape ops: reshape, permute/transpose, squeeze/unsqueeze, flatten,
// expand (broadcast), cat/stack, narrow/slice and constant padding. They move values,
// never compute on them; each backward is another shape op (see shape_ops.cpp).
#pragma once
#include <adjoint/autograd/tensor.hpp>

namespace adjoint
{
    Tensor reshape(const Tensor& x, const shape_t& shape);           // one -1 allowed
    Tensor flatten(const Tensor& x, std::int64_t start_axis = 0, std::int64_t end_axis = -1);
    Tensor permute(const Tensor& x, const std::vector<std::int64_t>& axes);
    Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1);
    Tensor squeeze(const Tensor& x);                                 // drops every size-1 axis
    Tensor squeeze(const Tensor& x, std::int64_t axis);              // no-op if that axis is not 1
    Tensor unsqueeze(const Tensor& x, std::int64_t axis);
    Tensor expand(const Tensor& x, const shape_t& shape);            // NumPy broadcasting to shape
    Tensor cat(const tensor_list& tensors, std::int64_t axis = 0);
    Tensor stack(const tensor_list& tensors, std::int64_t axis = 0);
    Tensor narrow(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t length);
    Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step = 1);
    // Constant padding, PyTorch's F.pad order: {left, right} pads the last axis,
    // {left, right, top, bottom} the last two, and so on. Negative amounts crop.
    Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0.0);
}
