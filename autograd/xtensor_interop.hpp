// Tensors to and from xtensor's xt::xarray (see core/xtensor_interop.hpp). Include it
// explicitly: <adjoint/adjoint.hpp> leaves it out so ordinary users never compile xtensor.
// The values are copied; a tensor made here is a fresh leaf.
#pragma once
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/core/xtensor_interop.hpp>

namespace adjoint
{
    // Any xtensor expression (xarray, xtensor, lazy, any layout). float values give float32,
    // every other type float64, unless dt says otherwise.
    template <class E>
    Tensor from_xtensor(const xt::xexpression<E>& x, bool requires_grad = false)
    {
        return Tensor(from_xarray(x), requires_grad);
    }

    template <class E>
    Tensor from_xtensor(const xt::xexpression<E>& x, adjoint::dtype dt, bool requires_grad = false)
    {
        return Tensor(from_xarray(x, dt), requires_grad);
    }

    // The values only (no graph), converted to T.
    template <class T>
    xt::xarray<T> to_xtensor(const Tensor& t)
    {
        return to_xarray<T>(t.data());
    }
}
