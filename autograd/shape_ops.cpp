// Shape ops: forward moves values with a core kernel, backward is the inverse movement
// (reshape back, inverse permutation, sum over expanded axes, slice of a cat, ...).
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/shape_kernels.hpp>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>

namespace adjoint
{
    Tensor reshape(const Tensor& x, const shape_t& shape)
    {
        shape_t target = shape;
        std::int64_t infer = -1;
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
        }
        if (infer >= 0)
        {
            // The other dimensions' count; one that overflows int64 cannot fit x either.
            shape_t rest = target;
            rest.erase(rest.begin() + infer);
            const std::int64_t known = try_shape_numel(rest).value_or(0);
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
                              }, detail::saves::nothing());
    }

    Tensor expand(const Tensor& x, const shape_t& shape)
    {
        const shape_t out = broadcast_shapes(x.shape(), shape, "expand");
        shape_numel(out, "expand");   // a count int64 cannot hold is refused before any kernel runs
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
                              }, detail::saves::nothing());
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
                                  }, detail::saves::nothing());
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
                              }, detail::saves::nothing());
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
        if (first.empty())
        {
            throw std::invalid_argument(
                "cat: expected tensors with at least 1 dimension, got a 0-d tensor; use stack to join scalars");
        }
        const std::int64_t ax = normalize_axis(axis, tensors[0].dim(), "cat");
        std::vector<array> parts;
        for (std::size_t i = 0; i < tensors.size(); ++i)
        {
            shape_t a = tensors[i].shape(), b = first;
            if (a.size() == b.size())
            {
                a[static_cast<std::size_t>(ax)] = b[static_cast<std::size_t>(ax)] = 0;
            }
            if (a != b)
            {
                // Same rank: name the first axis that differs, the usual U-Net skip mismatch.
                std::string where;
                for (std::size_t d = 0; a.size() == b.size() && d < a.size(); ++d)
                {
                    if (a[d] != b[d])
                    {
                        where = detail::str("; they differ along axis ", d, " (", b[d], " vs ", a[d],
                                            "): crop or pad one to match first (pad with negative amounts crops)");
                        break;
                    }
                }
                throw std::invalid_argument(detail::str("cat: tensors must have the same shape except along axis ", ax,
                                                        ", got ", shape_str(first), " and ",
                                                        shape_str(tensors[i].shape()), " (tensor ", i, ")", where));
            }
            parts.push_back(tensors[i].data());
        }
        std::vector<std::int64_t> lengths;
        shape_t joined = first;
        std::optional<std::int64_t> total = 0;
        for (const auto& t : tensors)
        {
            lengths.push_back(t.size(ax));
            total = total ? checked_add(*total, t.size(ax)) : total;
        }
        if (!total)
        {
            throw std::invalid_argument(detail::str("cat: expected the joined length along axis ", ax,
                                                    " to fit in int64, got ", tensors.size(), " tensors whose lengths ",
                                                    "along it add up to more than ",
                                                    std::numeric_limits<std::int64_t>::max()));
        }
        joined[static_cast<std::size_t>(ax)] = *total;
        shape_numel(joined, "cat");
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
                              },
                              detail::saves::nothing());
    }
}

namespace adjoint
{
    Tensor permute(const Tensor& x, const std::vector<std::int64_t>& axes)
    {
        const std::size_t n = static_cast<std::size_t>(x.dim());
        const auto not_a_permutation = [&] {
            return std::invalid_argument(detail::str("permute: axes must be a permutation of the ", n,
                                                     " axes of shape ", shape_str(x.shape()), ", got ",
                                                     shape_str(axes)));
        };
        if (axes.size() != n)
        {
            throw not_a_permutation();
        }
        std::vector<std::int64_t> perm(n), inverse(n, -1);
        for (std::size_t i = 0; i < n; ++i)
        {
            perm[i] = normalize_axis(axes[i], x.dim(), "permute");
            if (inverse[static_cast<std::size_t>(perm[i])] >= 0)
            {
                throw not_a_permutation();
            }
            inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
        }
        if (std::is_sorted(perm.begin(), perm.end()))   // the identity
        {
            return x;
        }
        return detail::record(kernels::permute(x.data(), perm), "permute", {x},
                              [inverse](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {permute(g, inverse)};
                              }, detail::saves::nothing());
    }

    Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1)
    {
        const std::int64_t a = normalize_axis(axis0, x.dim(), "transpose");
        const std::int64_t b = normalize_axis(axis1, x.dim(), "transpose");
        if (a == b)
        {
            return x;
        }
        std::vector<std::int64_t> perm(static_cast<std::size_t>(x.dim()));
        for (std::size_t i = 0; i < perm.size(); ++i)
        {
            perm[i] = static_cast<std::int64_t>(i);
        }
        std::swap(perm[static_cast<std::size_t>(a)], perm[static_cast<std::size_t>(b)]);
        return permute(x, perm);
    }
}

namespace adjoint::detail
{
    // Position of an axis about to be inserted into `shape`: [-ndim-1, ndim], since the
    // new axis may also go last. The message names the shape it is inserted into.
    static std::int64_t new_axis(std::int64_t axis, const shape_t& shape, const char* op)
    {
        const std::int64_t n = static_cast<std::int64_t>(shape.size()) + 1;
        if (axis < -n || axis >= n)
        {
            throw std::invalid_argument(str(op, ": axis must be in [", -n, ", ", n - 1,
                                            "] to insert a new axis into shape ", shape_str(shape), ", got ", axis));
        }
        return axis < 0 ? axis + n : axis;
    }
}

// squeeze, unsqueeze and flatten only relabel the shape: they are reshapes, and so are
// their backwards.
namespace adjoint
{
    Tensor squeeze(const Tensor& x)
    {
        shape_t shape;
        for (auto d : x.shape())
        {
            if (d != 1)
            {
                shape.push_back(d);
            }
        }
        return reshape(x, shape);
    }

    Tensor squeeze(const Tensor& x, std::int64_t axis)
    {
        const std::int64_t ax = normalize_axis(axis, x.dim(), "squeeze");
        if (x.dim() == 0 || x.size(ax) != 1)
        {
            return x;
        }
        shape_t shape = x.shape();
        shape.erase(shape.begin() + ax);
        return reshape(x, shape);
    }

    Tensor unsqueeze(const Tensor& x, std::int64_t axis)
    {
        const std::int64_t ax = detail::new_axis(axis, x.shape(), "unsqueeze");
        shape_t shape = x.shape();
        shape.insert(shape.begin() + ax, 1);
        return reshape(x, shape);
    }

    Tensor flatten(const Tensor& x, std::int64_t start_axis, std::int64_t end_axis)
    {
        const std::int64_t s = normalize_axis(start_axis, x.dim(), "flatten");
        const std::int64_t e = normalize_axis(end_axis, x.dim(), "flatten");
        if (s > e)
        {
            throw std::invalid_argument(detail::str("flatten: start_axis must not come after end_axis, got start_axis=",
                                                    start_axis, ", end_axis=", end_axis, " for shape ",
                                                    shape_str(x.shape())));
        }
        if (x.dim() == 0)
        {
            return reshape(x, {1});   // as in PyTorch, a scalar flattens to one element
        }
        const shape_t& in = x.shape();
        shape_t shape(in.begin(), in.begin() + s);
        shape.push_back(shape_numel(shape_t(in.begin() + s, in.begin() + e + 1)));
        shape.insert(shape.end(), in.begin() + e + 1, in.end());
        return reshape(x, shape);
    }
}

namespace adjoint
{
    Tensor stack(const tensor_list& tensors, std::int64_t axis)
    {
        if (tensors.empty())
        {
            throw std::invalid_argument("stack: expected at least one tensor, got none");
        }
        detail::check_same_dtype("stack", tensors);
        const shape_t& first = tensors[0].shape();
        const std::int64_t ax = detail::new_axis(axis, first, "stack");
        shape_t with_axis = first;
        with_axis.insert(with_axis.begin() + ax, 1);
        std::vector<array> parts;
        for (std::size_t i = 0; i < tensors.size(); ++i)
        {
            if (tensors[i].shape() != first)
            {
                throw std::invalid_argument(detail::str("stack: tensors must all have the same shape, got ",
                                                        shape_str(first), " and ", shape_str(tensors[i].shape()),
                                                        " (tensor ", i, ")"));
            }
            parts.push_back(tensors[i].data().reshaped(with_axis));
        }
        shape_t stacked = with_axis;
        stacked[static_cast<std::size_t>(ax)] = static_cast<std::int64_t>(tensors.size());
        shape_numel(stacked, "stack");
        // Unstacking is the adjoint: slot i of the new axis, with that axis dropped again.
        return detail::record(kernels::concat(parts, ax), "stack", tensors,
                              [first, ax](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                                  tensor_list grads(needs.size());
                                  for (std::size_t i = 0; i < needs.size(); ++i)
                                  {
                                      if (needs[i])
                                      {
                                          grads[i] = reshape(narrow(g, ax, static_cast<std::int64_t>(i), 1), first);
                                      }
                                  }
                                  return grads;
                              },
                              detail::saves::nothing());
    }

    Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value)
    {
        const std::size_t n = static_cast<std::size_t>(x.dim());
        if (pads.size() % 2 != 0 || pads.size() > 2 * n)
        {
            throw std::invalid_argument(detail::str("pad: pads must be (before, after) pairs, last axis first, ",
                                                    "at most ", 2 * n, " values for shape ", shape_str(x.shape()),
                                                    ", got ", pads.size(), " values ", shape_str(pads)));
        }
        std::vector<std::pair<std::int64_t, std::int64_t>> widths(n, {0, 0});
        std::vector<std::int64_t> negated(pads.size());
        shape_t padded = x.shape();
        for (std::size_t k = 0; k < pads.size() / 2; ++k)
        {
            const std::size_t axis = n - 1 - k;
            const std::int64_t before = pads[2 * k], after = pads[2 * k + 1];
            const std::int64_t len = x.shape()[axis];
            // Each crop is compared with the length before the two are added, so no sum or
            // negation here can overflow (-len always fits, -INT64_MIN would not).
            if (before < -len || after < -len ||
                std::max<std::int64_t>(-before, 0) + std::max<std::int64_t>(-after, 0) > len)
            {
                throw std::invalid_argument(detail::str("pad: negative pads can crop at most the ", x.shape()[axis],
                                                        " elements of axis ", axis, " of shape ", shape_str(x.shape()),
                                                        ", got (", before, ", ", after, ") for that axis"));
            }
            const auto longer = checked_add(len, before);
            if (!longer || !checked_add(*longer, after))
            {
                throw std::invalid_argument(detail::str("pad: expected the padded length of axis ", axis,
                                                        " to fit in int64, got ", len, " + ", before, " + ", after,
                                                        " for shape ", shape_str(x.shape())));
            }
            padded[axis] = *longer + after;
            widths[axis] = {before, after};
            negated[2 * k] = -before;
            negated[2 * k + 1] = -after;
        }
        shape_numel(padded, "pad");
        if (std::all_of(pads.begin(), pads.end(), [](std::int64_t p) { return p == 0; }))
        {
            return x;
        }
        // Undoing the pad is the adjoint: crop what was added, give back zeros for what was cropped.
        return detail::record(kernels::pad(x.data(), widths, value), "pad", {x},
                              [negated](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {pad(g, negated, 0.0)};
                              }, detail::saves::nothing());
    }
}
