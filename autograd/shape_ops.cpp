// Shape ops: forward moves values with a core kernel, backward is the inverse movement
// (reshape back, inverse permutation, sum over expanded axes, slice of a cat, ...).
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/shape_kernels.hpp>

#include <stdexcept>

namespace adjoint
{
    Tensor reshape(const Tensor& x, const shape_t& shape)
    {
        shape_t target = shape;
        std::int64_t known = 1, infer = -1;
        for (std::size_t i = 0; i < target.size(); ++i)
        {
            if (target[i] == -1)
            {
                if (infer >= 0)
                {
                    throw std::invalid_argument(detail::str("reshape: at most one dimension may be -1, got ",
                                                            shape_str(shape)));
                }
                infer = static_cast<std::int64_t>(i);
            }
            else if (target[i] < 0)
            {
                throw std::invalid_argument(detail::str("reshape: dimensions must be >= 0 or -1, got ", shape_str(shape)));
            }
            else
            {
                known *= target[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || x.numel() % known != 0)
            {
                throw std::invalid_argument(detail::str("reshape: shape ", shape_str(shape), " does not fit ",
                                                        shape_str(x.shape()), " (", x.numel(), " elements)"));
            }
            target[static_cast<std::size_t>(infer)] = x.numel() / known;
        }
        if (target == x.shape())
        {
            return x;
        }
        return detail::record(x.data().reshaped(target), "reshape", {x},
                              [xs = x.shape()](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {reshape(g, xs)};
                              });
    }

    Tensor expand(const Tensor& x, const shape_t& shape)
    {
        const shape_t out = broadcast_shapes(x.shape(), shape, "expand");
        if (out != shape)
        {
            throw std::invalid_argument(detail::str("expand: shape ", shape_str(x.shape()), " cannot be expanded to ",
                                                    shape_str(shape), " (it broadcasts to ", shape_str(out), ")"));
        }
        if (shape == x.shape())
        {
            return x;
        }
        return detail::record(kernels::broadcast_to(x.data(), shape), "expand", {x},
                              [xs = x.shape()](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {sum_to(g, xs)};
                              });
    }
}

namespace adjoint
{
    namespace
    {
        // Zeros of `shape` with g at positions start, start+step, ... along ax: slice's adjoint,
        // itself differentiable (its backward is the slice) so double backward works.
        Tensor slice_scatter(const Tensor& g, const shape_t& shape, std::int64_t ax, std::int64_t start,
                             std::int64_t step)
        {
            const std::int64_t count = g.size(ax);
            return detail::record(kernels::slice_backward(g.data(), shape, ax, start, step), "slice_backward", {g},
                                  [ax, start, step, count](const Tensor& gg, const std::vector<bool>&) -> tensor_list {
                                      return {slice(gg, ax, start, start + count * step, step)};
                                  });
        }
    }

    Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step)
    {
        const std::int64_t ax = normalize_axis(axis, x.dim(), "slice");
        if (x.dim() == 0)
        {
            throw std::invalid_argument("slice: expected a tensor with at least 1 dimension, got shape ()");
        }
        if (step < 1)
        {
            throw std::invalid_argument(detail::str("slice: step must be >= 1, got ", step));
        }
        const std::int64_t n = x.size(ax);
        // Python slice semantics: negative bounds count from the end, then clip to [0, n].
        const auto clip = [n](std::int64_t v) { return std::min(std::max(v < 0 ? v + n : v, std::int64_t{0}), n); };
        const std::int64_t s = clip(start), e = clip(end);
        const std::int64_t count = e > s ? (e - s + step - 1) / step : 0;
        return detail::record(kernels::slice(x.data(), ax, s, count, step), "slice", {x},
                              [xs = x.shape(), ax, s, step](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {slice_scatter(g, xs, ax, s, step)};
                              });
    }

    Tensor narrow(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t length)
    {
        const std::int64_t ax = normalize_axis(axis, x.dim(), "narrow");
        const std::int64_t n = x.dim() ? x.size(ax) : 0;
        const std::int64_t s = start < 0 ? start + n : start;
        if (s < 0 || length < 0 || s + length > n)
        {
            throw std::invalid_argument(detail::str("narrow: start + length must lie within [0, ", n, "] along axis ",
                                                    ax, " of shape ", shape_str(x.shape()), ", got start=", start,
                                                    ", length=", length));
        }
        return slice(x, ax, s, s + length, 1);
    }

    Tensor cat(const tensor_list& tensors, std::int64_t axis)
    {
        if (tensors.empty())
        {
            throw std::invalid_argument("cat: expected at least one tensor, got none");
        }
        detail::check_same_dtype("cat", tensors);
        const shape_t& first = tensors[0].shape();
        const std::int64_t ax = normalize_axis(axis, tensors[0].dim(), "cat");
        std::vector<array> parts;
        for (std::size_t i = 0; i < tensors.size(); ++i)
        {
            shape_t a = tensors[i].shape(), b = first;
            if (a.size() == b.size() && !a.empty())
            {
                a[static_cast<std::size_t>(ax)] = b[static_cast<std::size_t>(ax)] = 0;
            }
            if (a != b || first.empty())
            {
                throw std::invalid_argument(detail::str("cat: tensors must have the same shape except along axis ", ax,
                                                        ", got ", shape_str(first), " and ",
                                                        shape_str(tensors[i].shape()), " (tensor ", i, ")"));
            }
            parts.push_back(tensors[i].data());
        }
        std::vector<std::int64_t> lengths;
        for (const auto& t : tensors)
        {
            lengths.push_back(t.size(ax));
        }
        return detail::record(kernels::concat(parts, ax), "cat", tensors,
                              [lengths, ax](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                                  tensor_list grads(lengths.size());
                                  std::int64_t offset = 0;
                                  for (std::size_t i = 0; i < lengths.size(); ++i)
                                  {
                                      const std::int64_t len = lengths[i];
                                      if (needs[i])
                                      {
                                          grads[i] = narrow(g, ax, offset, len);
                                      }
                                      offset += len;
                                  }
                                  return grads;
                              });
    }
}
