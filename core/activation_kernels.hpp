// Activation kernels on arrays: the elementwise maps behind leaky_relu, elu, gelu, silu,
// softplus and erf, and numerically stable softmax / log_softmax along one axis. Values only:
// the derivatives are written with differentiable ops in autograd/activation.cpp, and the
// arguments (axis range, approximation names) are validated there.
#pragma once
#include <adjoint/core/array.hpp>

#include <cstdint>

namespace adjoint::kernels
{
    array erf(const array& x);
    array leaky_relu(const array& x, double negative_slope);   // x > 0 ? x : slope * x
    array elu(const array& x, double alpha);                   // x > 0 ? x : alpha * (e^x - 1)
    // x * Phi(x) with the normal CDF through erf, or PyTorch's tanh approximation.
    array gelu(const array& x, bool tanh_approximation);
    array silu(const array& x);                                // x / (1 + e^-x)
    // log(1 + e^(beta x)) / beta, and x itself where beta * x > threshold (PyTorch's cut-off).
    // Computed in a form that never overflows, so threshold = +inf is the exact softplus
    // the losses use (softplus(1000) = 1000, softplus(-1000) = e^-1000 = 0).
    array softplus(const array& x, double beta, double threshold);

    // x: (outer..., n, inner...) with `axis` already normalised to [0, ndim) (a 0-d x counts
    // as one element). The row maximum is subtracted before exponentiating, so logits of any
    // magnitude give finite results (a row of all -inf gives NaN, as in PyTorch).
    array softmax(const array& x, std::int64_t axis);
    array log_softmax(const array& x, std::int64_t axis);
}
