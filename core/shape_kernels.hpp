// Kernels that move values without computing on them: broadcast, permute, concatenate,
// strided slices and constant padding. Shapes are validated by the autograd callers,
// which know the op's public name for error messages.
#pragma once
#include <adjoint/core/array.hpp>

#include <utility>
#include <vector>

namespace adjoint::kernels
{
    array broadcast_to(const array& x, const shape_t& shape);
    // out.shape[i] = x.shape[axes[i]]; axes is a permutation of 0..ndim-1 (validated by the caller).
    array permute(const array& x, const std::vector<std::int64_t>& axes);
}

namespace adjoint::kernels
{
    // Joins arrays of equal shape except along `axis` (already normalised and validated).
    array concat(const std::vector<array>& parts, std::int64_t axis);
    // Elements start, start+step, ... (count of them) along `axis`; step >= 1.
    array slice(const array& x, std::int64_t axis, std::int64_t start, std::int64_t count, std::int64_t step);
    // The adjoint of slice: zeros of `shape` with g written at those positions.
    array slice_backward(const array& g, const shape_t& shape, std::int64_t axis, std::int64_t start,
                         std::int64_t step);
    // widths[i] = {before, after} for axis i (one pair per axis): positive amounts add
    // `value`, negative ones crop. x: (..., n_i, ...) -> (..., n_i + before + after, ...);
    // the caller guarantees the crops on each axis total at most n_i.
    array pad(const array& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& widths, double value);
}
