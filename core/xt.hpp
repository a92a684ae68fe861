// The one place that includes xtensor (internal to core/*.cpp): the storage type behind
// `array`, zero-copy xtensor views of arrays, and dtype dispatch. Public headers never
// include this file, so an xtensor upgrade touches core/ only.
#pragma once
#include <adjoint/core/array.hpp>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

#include <stdexcept>
#include <variant>

namespace adjoint::detail
{
    // Flat, SIMD-aligned buffers; the n-d shape lives in the array that points here.
    struct storage
    {
        std::variant<xt::xtensor<float, 1>, xt::xtensor<double, 1>> values;
    };

    using xt_shape = std::vector<std::size_t>;

    inline xt_shape to_xt_shape(const shape_t& shape)
    {
        return xt_shape(shape.begin(), shape.end());
    }

    // An xtensor expression over an array's buffer, with the array's shape. No copy.
    template <class T>
    auto xview(array& a)
    {
        return xt::adapt(a.data<T>(), static_cast<std::size_t>(a.numel()), xt::no_ownership(),
                         to_xt_shape(a.shape()));
    }

    template <class T>
    auto xview(const array& a)
    {
        return xt::adapt(a.data<T>(), static_cast<std::size_t>(a.numel()), xt::no_ownership(),
                         to_xt_shape(a.shape()));
    }

    // Calls f(T{}) with T the C++ type of dt: the single dtype switch kernels go through.
    template <class F>
    decltype(auto) dispatch(adjoint::dtype dt, F&& f)
    {
        if (dt == adjoint::dtype::float32)
        {
            return f(float{});
        }
        return f(double{});
    }
}
