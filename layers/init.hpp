// Parameter initialisers in PyTorch's conventions (torch.nn.init): fan computation,
// uniform_ and kaiming_uniform_. They overwrite a tensor's values in place from the global
// seeded generator (manual_seed) without recording anything on the graph; no other
// distributions live here yet.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>

namespace adjoint::init
{
    enum class fan_mode
    {
        fan_in, fan_out
    };

    struct fans
    {
        std::int64_t fan_in = 0;
        std::int64_t fan_out = 0;
    };

    // PyTorch's rule, read off the weight's shape alone: fan_in = shape[1] * receptive field,
    // fan_out = shape[0] * receptive field, where the receptive field is the product of
    // shape[2:]. Note what that means for a transposed convolution, whose weight is
    // [C_in, C_out/groups, kH, kW]: its "fan_in" is (C_out/groups) * kH * kW.
    fans calculate_fan_in_and_fan_out(const shape_t& shape);

    // Gain of a leaky ReLU with the given negative slope: sqrt(2 / (1 + a^2)); a = 0 is ReLU's.
    double leaky_relu_gain(double negative_slope);

    // The half-width kaiming_uniform_ draws from: gain(a) * sqrt(3 / fan).
    double kaiming_uniform_bound(const shape_t& shape, double a = 0.0, fan_mode mode = fan_mode::fan_in);

    // Fills t with values uniform in [low, high). Returns t (the same handle).
    Tensor uniform_(Tensor t, double low, double high);

    // Fills t uniformly in +-kaiming_uniform_bound(t.shape(), a, mode), as
    // torch.nn.init.kaiming_uniform_(t, a, mode, nonlinearity='leaky_relu').
    Tensor kaiming_uniform_(Tensor t, double a = 0.0, fan_mode mode = fan_mode::fan_in);
}
