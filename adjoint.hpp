// adjoint: the whole public API in one include (tensors, autograd ops, layers).
#pragma once
#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/threads.hpp>
#include <adjoint/layers/conv.hpp>
#include <adjoint/layers/module.hpp>
