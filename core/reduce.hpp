// Reduction kernels: sums over any set of axes, and max/min with the index of the first
// extreme element along one axis. Results keep the reduced axes as size 1 (keepdim);
// the autograd callers validate axes, drop dimensions and name the op in errors.
#pragma once
#include <adjoint/core/array.hpp>

#include <vector>

namespace adjoint::kernels
{
    enum class extreme
    {
        max,
        min
    };

    // x: (d0, ..., dn) -> same rank with every axis in `axes` set to 1. `axes` must be sorted,
    // unique and in [0, ndim). Accumulates in double for both dtypes.
    array reduce_sum(const array& x, const std::vector<std::int64_t>& axes);

    struct extreme_result
    {
        array values;    // (..., 1, ...): the max (or min) along the axis
        array indices;   // (..., 1, ...): position of its first occurrence, int64
    };

    // x: (..., n, ...) with n >= 1 -> values and indices of shape (..., 1, ...). NaN counts as
    // more extreme than any number, so it propagates as in PyTorch.
    extreme_result reduce_extreme(extreme which, const array& x, std::int64_t axis);

    // indices (int64): (..., 1, ...) -> (..., n, ...) of dtype dt with 1 where the position along
    // `axis` equals the index and 0 elsewhere: scatters a reduced gradient back to the chosen elements.
    array one_hot_along(const array& indices, std::int64_t axis, std::int64_t n, adjoint::dtype dt);
}
