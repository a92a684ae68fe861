// batch_norm: per-channel normalisation of an [N, C, ...] input (at least 2-d) over the batch
// and every spatial position, with an optional per-channel affine (weight, bias) and running
// statistics, as torch.nn.functional.batch_norm.
//
// training = true: normalises with the batch mean and biased batch variance; when running
// stats are given they are updated in place (under no_grad, so their versions bump) to
//     running = (1 - factor) * running + factor * batch_stat
// with the batch's UNBIASED variance for running_var; factor is `momentum`, or with
// momentum = std::nullopt (PyTorch's momentum=None) 1 / num_batches_tracked, a cumulative
// average: num_batches_tracked is then required, an int64 (or float) count that already
// includes this batch (BatchNorm2d increments it before calling).
// training = false: normalises with running_mean / running_var, which must be given.
//
// Gradients flow to x, weight and bias (the full batch-norm gradient in training, through the
// batch statistics; a per-channel affine map in eval), written with differentiable ops so
// double backward works. The running stats get no gradient and are never part of the graph.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <optional>

namespace adjoint
{
    // running_mean, running_var: [C] or both undefined; weight, bias: [C] or undefined
    // (no scale / no shift).
    Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                      const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                      std::optional<double> momentum = 0.1, double eps = 1e-5,
                      const Tensor& num_batches_tracked = Tensor());
}
