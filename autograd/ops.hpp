// Every differentiable op and tensor constructor, in one include.
#pragma once
#include <adjoint/autograd/activation.hpp>
#include <adjoint/autograd/conv.hpp>
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/dropout.hpp>
#include <adjoint/autograd/custom_op.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/interpolate.hpp>
#include <adjoint/autograd/linalg.hpp>
#include <adjoint/autograd/loss.hpp>
#include <adjoint/autograd/linear.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/pooling.hpp>
#include <adjoint/autograd/reduce.hpp>
#include <adjoint/autograd/shape_ops.hpp>
#include <adjoint/autograd/tensor.hpp>
