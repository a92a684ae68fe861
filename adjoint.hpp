// adjoint: the whole public API in one include: tensors, autograd ops and gradient checks,
// layers and initialisers, optimizers and learning-rate schedulers, and the core array
// kernels under them. Not included: the xtensor interop headers (core/ and
// autograd/xtensor_interop.hpp), which make their users compile xtensor and are opt-in, and
// testing/ (adjoint::testing, needs GoogleTest).
// Every other installed header must be reachable from here; the install test checks it.
#pragma once
#include <adjoint/core/activation_kernels.hpp>
#include <adjoint/core/allocator.hpp>
#include <adjoint/core/array.hpp>
#include <adjoint/core/conv_geometry.hpp>
#include <adjoint/core/conv_kernels.hpp>
#include <adjoint/core/dtype.hpp>
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/interpolate_kernels.hpp>
#include <adjoint/core/matmul.hpp>
#include <adjoint/core/npy.hpp>
#include <adjoint/core/pool_kernels.hpp>
#include <adjoint/core/print.hpp>
#include <adjoint/core/random.hpp>
#include <adjoint/core/reduce.hpp>
#include <adjoint/core/safetensors.hpp>
#include <adjoint/core/shape.hpp>
#include <adjoint/core/shape_kernels.hpp>
#include <adjoint/core/threads.hpp>

#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/autograd/ops.hpp>

#include <adjoint/layers/activation.hpp>
#include <adjoint/layers/batch_norm.hpp>
#include <adjoint/layers/checkpoint.hpp>
#include <adjoint/layers/conv.hpp>
#include <adjoint/layers/gradcheck_module.hpp>
#include <adjoint/layers/init.hpp>
#include <adjoint/layers/linear.hpp>
#include <adjoint/layers/loss.hpp>
#include <adjoint/layers/metrics.hpp>
#include <adjoint/layers/module.hpp>
#include <adjoint/layers/optim/adam.hpp>
#include <adjoint/layers/optim/clip_grad.hpp>
#include <adjoint/layers/optim/lr_scheduler.hpp>
#include <adjoint/layers/optim/optimizer.hpp>
#include <adjoint/layers/optim/rmsprop.hpp>
#include <adjoint/layers/optim/sgd.hpp>
#include <adjoint/layers/pooling.hpp>
#include <adjoint/layers/summary.hpp>
#include <adjoint/layers/upsample.hpp>
