// Reductions: forward through core/reduce kernels, backward expands the gradient back
// over the reduced axes (see reduce.hpp for the tie rules of max/min). mean and var are
// compositions of differentiable ops, so their higher-order gradients come for free.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/reduce.hpp>

#include <algorithm>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // Normalised, sorted axes; a repeated axis is an error, as in PyTorch. A 0-d tensor
        // accepts axis 0 / -1 and has nothing to reduce.
        std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, const Tensor& x, const char* op)
        {
            std::vector<std::int64_t> out;
            for (auto a : axes)
            {
                out.push_back(normalize_axis(a, x.dim(), op));
            }
            std::sort(out.begin(), out.end());
            const auto dup = std::adjacent_find(out.begin(), out.end());
            if (dup != out.end())
            {
                throw std::invalid_argument(detail::str(op, ": each axis may appear once, got axis ", *dup,
                                                        " twice for shape ", shape_str(x.shape())));
            }
            return x.dim() == 0 ? std::vector<std::int64_t>{} : out;
        }

        // `shape` with the reduced axes set to 1 (keepdim) or removed.
        shape_t reduced_shape(const shape_t& shape, const std::vector<std::int64_t>& axes, bool keepdim)
        {
            shape_t out;
            for (std::size_t i = 0; i < shape.size(); ++i)
            {
                const bool reduced = std::binary_search(axes.begin(), axes.end(), static_cast<std::int64_t>(i));
                if (!reduced)
                {
                    out.push_back(shape[i]);
                }
                else if (keepdim)
                {
                    out.push_back(1);
                }
            }
            return out;
        }

        std::vector<std::int64_t> all_axes(const Tensor& x)
        {
            std::vector<std::int64_t> axes(static_cast<std::size_t>(x.dim()));
            for (std::size_t i = 0; i < axes.size(); ++i)
            {
                axes[i] = static_cast<std::int64_t>(i);
            }
            return axes;
        }

        std::int64_t count(const Tensor& x, const std::vector<std::int64_t>& axes)
        {
            std::int64_t n = 1;
            for (auto a : axes)
            {
                n *= x.size(a);
            }
            return n;
        }

        // max/min along one axis. The gradient goes to the element the forward picked (the first
        // extreme one), through a one-hot mask built from the saved indices at backward time.
        Tensor extreme_along(kernels::extreme which, const char* op, const Tensor& x, std::int64_t axis, bool keepdim)
        {
            const std::int64_t ax = normalize_axis(axis, x.dim(), op);
            // A 0-d tensor reduces like a one-element vector.
            const array data = x.dim() == 0 ? x.data().reshaped({1}) : x.data();
            if (data.size(ax) == 0)
            {
                throw std::invalid_argument(detail::str(op, ": the reduced axis must not be empty, got size 0 along axis ",
                                                        ax, " of shape ", shape_str(x.shape())));
            }
            auto r = kernels::reduce_extreme(which, data, ax);
            const shape_t out_shape = x.dim() == 0 ? shape_t{} : reduced_shape(x.shape(), {ax}, keepdim);
            return detail::record(r.values.reshaped(out_shape), op, {x},
                                  [xs = x.shape(), ds = data.shape(), keep = r.values.shape(), indices = r.indices,
                                   ax](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                      const Tensor hot(kernels::one_hot_along(indices, ax, ds[ax], g.dtype()));
                                      return {reshape(expand(reshape(g, keep), ds) * hot, xs)};
                                  },
                                  detail::saves::nothing());
        }

        // Full max/min: the gradient is shared equally by every element equal to the result.
        Tensor extreme_all(kernels::extreme which, const char* op, const Tensor& x)
        {
            if (x.numel() == 0)
            {
                throw std::invalid_argument(detail::str(op, ": expected a non-empty tensor, got shape ",
                                                        shape_str(x.shape())));
            }
            const array value = kernels::reduce_extreme(which, x.data().reshaped({x.numel()}), 0).values.reshaped({});
            return detail::record(value, op, {x}, [x, value](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                const array ties = kernels::binary(kernels::binary_op::eq, x.data(), value);
                const array share = kernels::binary(kernels::binary_op::div, ties, kernels::reduce_sum(ties, all_axes(x)));
                return {expand(g, x.shape()) * Tensor(share)};
            });
        }

        Tensor arg_along(kernels::extreme which, const char* op, const Tensor& x, std::int64_t axis, bool keepdim)
        {
            const std::int64_t ax = normalize_axis(axis, x.dim(), op);
            const array data = x.dim() == 0 ? x.data().reshaped({1}) : x.data();
            if (data.size(ax) == 0)
            {
                throw std::invalid_argument(detail::str(op, ": the reduced axis must not be empty, got size 0 along axis ",
                                                        ax, " of shape ", shape_str(x.shape())));
            }
            const shape_t out_shape = x.dim() == 0 ? shape_t{} : reduced_shape(x.shape(), {ax}, keepdim);
            return Tensor(kernels::reduce_extreme(which, data, ax).indices.reshaped(out_shape));
        }
    }

    Tensor sum(const Tensor& x) { return sum(x, all_axes(x)); }

    Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim)
    {
        const auto ax = normalize_axes(axes, x, "sum");
        const shape_t keep = reduced_shape(x.shape(), ax, true);
        return detail::record(kernels::reduce_sum(x.data(), ax).reshaped(reduced_shape(x.shape(), ax, keepdim)), "sum",
                              {x}, [xs = x.shape(), keep](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {expand(reshape(g, keep), xs)};
                              },
                              detail::saves::nothing());
    }

    Tensor mean(const Tensor& x) { return mean(x, all_axes(x)); }

    Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim)
    {
        const auto ax = normalize_axes(axes, x, "mean");
        // 1/0 for an empty reduction gives NaN, as in PyTorch.
        return sum(x, ax, keepdim) * (1.0 / static_cast<double>(count(x, ax)));
    }

    Tensor max(const Tensor& x) { return extreme_all(kernels::extreme::max, "max", x); }
    Tensor min(const Tensor& x) { return extreme_all(kernels::extreme::min, "min", x); }

    Tensor max(const Tensor& x, std::int64_t axis, bool keepdim)
    {
        return extreme_along(kernels::extreme::max, "max", x, axis, keepdim);
    }

    Tensor min(const Tensor& x, std::int64_t axis, bool keepdim)
    {
        return extreme_along(kernels::extreme::min, "min", x, axis, keepdim);
    }

    Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim)
    {
        return arg_along(kernels::extreme::max, "argmax", x, axis, keepdim);
    }

    Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim)
    {
        return arg_along(kernels::extreme::min, "argmin", x, axis, keepdim);
    }

    namespace
    {
        // The flat index of the first extreme element: the arg-reduction of the flattened tensor.
        Tensor arg_all(kernels::extreme which, const char* op, const Tensor& x)
        {
            if (x.numel() == 0)
            {
                throw std::invalid_argument(detail::str(op, ": expected a non-empty tensor, got shape ",
                                                        shape_str(x.shape())));
            }
            return arg_along(which, op, Tensor(x.data().reshaped({x.numel()})), 0, false);
        }
    }

    Tensor argmax(const Tensor& x) { return arg_all(kernels::extreme::max, "argmax", x); }
    Tensor argmin(const Tensor& x) { return arg_all(kernels::extreme::min, "argmin", x); }

    Tensor var(const Tensor& x, std::int64_t correction) { return var(x, all_axes(x), correction, false); }

    Tensor var(const Tensor& x, const std::vector<std::int64_t>& axes, std::int64_t correction, bool keepdim)
    {
        const auto ax = normalize_axes(axes, x, "var");
        if (correction < 0)
        {
            throw std::invalid_argument(detail::str("var: correction must be >= 0, got ", correction));
        }
        // Deviations from the mean, squared and summed: two passes, which stays accurate when
        // the mean is large compared with the spread. A non-positive dof gives inf/NaN as in PyTorch.
        const Tensor d = x - mean(x, ax, true);
        const auto dof = std::max<std::int64_t>(count(x, ax) - correction, 0);
        return sum(d * d, ax, keepdim) * (1.0 / static_cast<double>(dof));
    }

    Tensor var(const Tensor& x, std::initializer_list<std::int64_t> axes, std::int64_t correction, bool keepdim)
    {
        return var(x, std::vector<std::int64_t>(axes), correction, keepdim);
    }
}
