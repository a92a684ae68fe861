// Differentiable reductions over all elements or given axes, with keepdim: sum, mean,
// max/min (gradient to the first maximal element, as in PyTorch's max along an axis;
// to all tied elements equally for full reductions), var; argmax/argmin (no gradient).
// Axes may be negative; a repeated axis is an error; an empty axes list reduces nothing
// (NumPy's rule, unlike torch.sum(dim=[])). NaN counts as the maximum and the minimum, so it
// propagates. max/min/argmax/argmin of an empty tensor or along an empty axis are errors;
// sum of nothing is 0, mean and var of nothing are NaN, as in PyTorch.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <initializer_list>

namespace adjoint
{
    Tensor sum(const Tensor& x);
    Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);
    Tensor mean(const Tensor& x);
    Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);
    Tensor max(const Tensor& x);
    Tensor max(const Tensor& x, std::int64_t axis, bool keepdim = false);
    Tensor min(const Tensor& x);
    Tensor min(const Tensor& x, std::int64_t axis, bool keepdim = false);
    Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);   // int64 indices
    Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);
    Tensor argmax(const Tensor& x);   // flat row-major index of the first maximum, 0-d
    Tensor argmin(const Tensor& x);
    // Variance with Bessel's correction by default (correction = 1), as torch.var.
    Tensor var(const Tensor& x, std::int64_t correction = 1);
    Tensor var(const Tensor& x, const std::vector<std::int64_t>& axes, std::int64_t correction = 1,
               bool keepdim = false);
    // Takes braced axes: without it var(x, {1}) would silently bind {1} to `correction`.
    Tensor var(const Tensor& x, std::initializer_list<std::int64_t> axes, std::int64_t correction = 1,
               bool keepdim = false);
}
