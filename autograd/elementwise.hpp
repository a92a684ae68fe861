// Differentiable elementwise ops with NumPy broadcasting: arithmetic (also with a scalar
// on either side), pow, exp, log, sqrt, abs, clamp, relu, sigmoid, tanh, and comparisons,
// which give 1/0 masks and no gradient. Forward and backward of each live in elementwise.cpp.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <limits>

namespace adjoint
{
    Tensor operator+(const Tensor& a, const Tensor& b);
    Tensor operator-(const Tensor& a, const Tensor& b);
    Tensor operator*(const Tensor& a, const Tensor& b);
    Tensor operator/(const Tensor& a, const Tensor& b);
    Tensor operator+(const Tensor& a, double b);
    Tensor operator-(const Tensor& a, double b);
    Tensor operator*(const Tensor& a, double b);
    Tensor operator/(const Tensor& a, double b);
    Tensor operator+(double a, const Tensor& b);
    Tensor operator-(double a, const Tensor& b);
    Tensor operator*(double a, const Tensor& b);
    Tensor operator/(double a, const Tensor& b);
    Tensor operator-(const Tensor& x);
    Tensor neg(const Tensor& x);

    Tensor pow(const Tensor& x, double exponent);
    Tensor pow(const Tensor& x, const Tensor& exponent);   // gradient to the exponent needs x > 0
    Tensor exp(const Tensor& x);
    Tensor log(const Tensor& x);
    Tensor sqrt(const Tensor& x);
    Tensor abs(const Tensor& x);                           // gradient sign(x), 0 at 0
    // min > max is an error (PyTorch would silently return max everywhere).
    Tensor clamp(const Tensor& x, double min = -std::numeric_limits<double>::infinity(),
                 double max = std::numeric_limits<double>::infinity());
    Tensor relu(const Tensor& x);
    namespace detail
    {
        // relu's backward, g * [y > 0] for relu's output y, as a differentiable op of g (its
        // own backward is itself). Also the mask of the fused conv-relu ops (autograd/conv.hpp).
        Tensor relu_grad(const Tensor& g, const array& y);
    }
    Tensor sigmoid(const Tensor& x);
    Tensor tanh(const Tensor& x);
    Tensor maximum(const Tensor& a, const Tensor& b);      // ties send the gradient half to each
    Tensor minimum(const Tensor& a, const Tensor& b);

    // Comparisons: masks of 1 and 0 in the inputs' dtype, never part of the graph.
    Tensor eq(const Tensor& a, const Tensor& b);
    Tensor ne(const Tensor& a, const Tensor& b);
    Tensor lt(const Tensor& a, const Tensor& b);
    Tensor le(const Tensor& a, const Tensor& b);
    Tensor gt(const Tensor& a, const Tensor& b);
    Tensor ge(const Tensor& a, const Tensor& b);
    Tensor operator==(const Tensor& a, const Tensor& b);
    Tensor operator!=(const Tensor& a, const Tensor& b);
    Tensor operator<(const Tensor& a, const Tensor& b);
    Tensor operator<=(const Tensor& a, const Tensor& b);
    Tensor operator>(const Tensor& a, const Tensor& b);
    Tensor operator>=(const Tensor& a, const Tensor& b);
    // With a scalar on either side: t > 0.0, 0.5 <= t, eq(labels, 3).
    Tensor eq(const Tensor& a, double b);
    Tensor ne(const Tensor& a, double b);
    Tensor lt(const Tensor& a, double b);
    Tensor le(const Tensor& a, double b);
    Tensor gt(const Tensor& a, double b);
    Tensor ge(const Tensor& a, double b);
    Tensor operator==(const Tensor& a, double b);
    Tensor operator!=(const Tensor& a, double b);
    Tensor operator<(const Tensor& a, double b);
    Tensor operator<=(const Tensor& a, double b);
    Tensor operator>(const Tensor& a, double b);
    Tensor operator>=(const Tensor& a, double b);
    Tensor operator==(double a, const Tensor& b);
    Tensor operator!=(double a, const Tensor& b);
    Tensor operator<(double a, const Tensor& b);
    Tensor operator<=(double a, const Tensor& b);
    Tensor operator>(double a, const Tensor& b);
    Tensor operator>=(double a, const Tensor& b);

    // Sums over broadcast dimensions down to `shape`: the adjoint of expand().
    Tensor sum_to(const Tensor& x, const shape_t& shape);
}
