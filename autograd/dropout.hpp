// dropout and dropout2d, as torch.nn.functional's: in training, elements (dropout) or whole
// channels (dropout2d) are zeroed with probability p and the survivors scaled by 1/(1-p), so
// the expected value is unchanged; otherwise the input is returned as it is. Masks come from
// the library's global generator (manual_seed makes them reproducible). No in-place variant.
#pragma once
#include <adjoint/autograd/tensor.hpp>

namespace adjoint
{
    // p in [0, 1]: p == 0 (or training == false) returns x itself, p == 1 gives zeros.
    Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);
    // x: (N, C, H, W) or (C, H, W); one draw per channel, shared by its H x W values.
    // (PyTorch 1.13 reads a 3-d input as (N, C, L) with a deprecation warning; this follows
    // the documented (C, H, W) reading PyTorch is moving to.)
    Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true);

    namespace detail
    {
        // The probability rule both ops (and the Dropout layers, at construction) apply:
        // std::invalid_argument naming `op` unless 0 <= p <= 1.
        void check_dropout_probability(const char* op, double p);
    }
}
