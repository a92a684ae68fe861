// Parameter initialisers in PyTorch's conventions (torch.nn.init): fans and gains, constant,
// uniform and normal fills, Kaiming (He) and Xavier (Glorot) in both distributions, and
// orthogonal_ (QR of a normal matrix). They overwrite a tensor's values in place through the
// Tensor in-place API under no_grad (so every handle sees them and version counters count the
// write), draw from the global seeded generator (manual_seed), and return the same handle.
// A tensor with no elements is left as it is (PyTorch's no-op). Not here: sparse_, dirac_,
// eye_, trunc_normal_.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <string>

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

    // torch.nn.init.calculate_gain: 1 for "linear", "conv1d", "conv2d", "conv3d",
    // "conv_transpose1d/2d/3d" and "sigmoid"; 5/3 for "tanh"; sqrt(2) for "relu";
    // sqrt(2 / (1 + param^2)) for "leaky_relu" (param is the negative slope); 3/4 for "selu".
    // Any other name is std::invalid_argument listing the accepted ones.
    double calculate_gain(const std::string& nonlinearity, double param = 0.01);

    // Gain of a leaky ReLU with the given negative slope: sqrt(2 / (1 + a^2)); a = 0 is ReLU's.
    double leaky_relu_gain(double negative_slope);

    // The standard deviation Kaiming init aims for: gain(nonlinearity, a) / sqrt(fan).
    double kaiming_std(const shape_t& shape, double a = 0.0, fan_mode mode = fan_mode::fan_in,
                       const std::string& nonlinearity = "leaky_relu");
    // The half-width kaiming_uniform_ draws from: sqrt(3) * kaiming_std.
    double kaiming_uniform_bound(const shape_t& shape, double a = 0.0, fan_mode mode = fan_mode::fan_in,
                                 const std::string& nonlinearity = "leaky_relu");

    Tensor constant_(Tensor t, double value);
    Tensor zeros_(Tensor t);
    Tensor ones_(Tensor t);
    // Uniform in [low, high); low <= high.
    Tensor uniform_(Tensor t, double low = 0.0, double high = 1.0);
    // Normal with the given mean and standard deviation; std >= 0.
    Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0);

    // torch.nn.init.kaiming_uniform_ / kaiming_normal_: uniform in +-kaiming_uniform_bound, or
    // normal with kaiming_std. a is the negative slope used when nonlinearity is "leaky_relu".
    Tensor kaiming_uniform_(Tensor t, double a = 0.0, fan_mode mode = fan_mode::fan_in,
                            const std::string& nonlinearity = "leaky_relu");
    Tensor kaiming_normal_(Tensor t, double a = 0.0, fan_mode mode = fan_mode::fan_in,
                           const std::string& nonlinearity = "leaky_relu");

    // torch.nn.init.xavier_uniform_ / xavier_normal_: standard deviation
    // gain * sqrt(2 / (fan_in + fan_out)); the uniform one draws in +-sqrt(3) times that.
    Tensor xavier_uniform_(Tensor t, double gain = 1.0);
    Tensor xavier_normal_(Tensor t, double gain = 1.0);

    // torch.nn.init.orthogonal_: t viewed as (shape[0], numel / shape[0]) becomes gain times a
    // matrix with orthonormal rows or columns (whichever are fewer), from the QR decomposition
    // of a standard normal matrix with R's diagonal made positive (so Q is uniformly
    // distributed). At least 2 dimensions.
    Tensor orthogonal_(Tensor t, double gain = 1.0);
}
