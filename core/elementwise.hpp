// Elementwise kernels on arrays: binary ops with NumPy broadcasting and unary maps.
// Pure value computations; gradients are defined in autograd/elementwise.cpp.
// Both operands of a binary op must share a dtype (the caller reports mismatches).
#pragma once
#include <adjoint/core/array.hpp>

namespace adjoint::kernels
{
    enum class binary_op
    {
        add, sub, mul, div, pow, maximum, minimum,
        eq, ne, lt, le, gt, ge   // comparisons give 1/0 masks in the operands' dtype
    };

    enum class unary_op
    {
        neg, exp, log, sqrt, abs, sign, relu, sigmoid, tanh,
        step   // 1 where x > 0, else 0: relu's derivative
    };

    array binary(binary_op op, const array& a, const array& b);
    array unary(unary_op op, const array& x);
    array clamp(const array& x, double lo, double hi);          // lo/hi may be +-infinity
    array scalar_pow(const array& x, double exponent);
    // 1 where lo <= x <= hi, else 0 (NaN gives 0): clamp's derivative, boundaries included as in PyTorch.
    array in_range(const array& x, double lo, double hi);

    // relu's backward in one pass: g * (y > 0 ? 1 : 0), the same products as
    // binary(mul, g, unary(step, y)) without the mask buffer. g and y: same shape and dtype.
    array relu_backward(const array& g, const array& y);

    // Sums `x` over broadcast dimensions so the result has `shape`: the adjoint of broadcasting.
    array sum_to(const array& x, const shape_t& shape);
}
