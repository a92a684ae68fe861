// Differentiable activations as free functions, with PyTorch's names, defaults and values at
// the kinks: leaky_relu, elu, gelu ("none" through erf, or "tanh"), silu, softplus (linear
// above its threshold), softmax and log_softmax along one axis (stable for logits of any
// size), and erf itself. relu, sigmoid and tanh live in elementwise.hpp. Every backward is
// written with differentiable ops, so second derivatives work. No in-place variants.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <string>

namespace adjoint
{
    Tensor erf(const Tensor& x);
    // x for x > 0, negative_slope * x otherwise; the gradient at 0 is negative_slope.
    Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
    // x for x > 0, alpha * (e^x - 1) otherwise; the gradient at 0 is alpha.
    Tensor elu(const Tensor& x, double alpha = 1.0);
    // x * Phi(x); approximate is "none" (exact, through erf) or "tanh".
    Tensor gelu(const Tensor& x, const std::string& approximate = "none");
    Tensor silu(const Tensor& x);   // x * sigmoid(x)
    // log(1 + e^(beta x)) / beta, and x where beta * x > threshold. beta must be non-zero.
    Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
    // exp(x) / sum(exp(x)) along dim (negative counts from the end).
    Tensor softmax(const Tensor& x, std::int64_t dim);
    // x - log(sum(exp(x))) along dim, without forming exp(x) of large logits.
    Tensor log_softmax(const Tensor& x, std::int64_t dim);

    namespace detail
    {
        // The argument rules of gelu and softplus, also applied by their layers at
        // construction: std::invalid_argument naming `op`.
        void check_gelu_approximate(const char* op, const std::string& approximate);
        void check_softplus_beta(const char* op, double beta);
    }
}
