// Moving values between adjoint arrays and xtensor (any expression in, xt::xarray out) for
// users who hold their data in xtensor. The one public header that includes xtensor (header-only, so the
// library itself keeps xtensor private); values are copied, never shared.
#pragma once
#include <adjoint/core/array.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace adjoint
{
    // A row-major copy of `a` with values converted to T (any arithmetic type).
    template <class T>
    xt::xarray<T> to_xarray(const array& a)
    {
        static_assert(std::is_arithmetic_v<T>, "to_xarray: T must be an arithmetic type");
        if (!a.defined())
        {
            throw std::invalid_argument("to_xarray: expected a defined array, got an undefined one");
        }
        const auto& s = a.shape();
        xt::xarray<T> out = xt::xarray<T>::from_shape(std::vector<std::size_t>(s.begin(), s.end()));
        const auto convert = [&](const auto* p) {
            std::transform(p, p + a.numel(), out.begin(), [](auto v) { return static_cast<T>(v); });
        };
        if (a.dtype() == float32)
        {
            convert(a.template data<float>());
        }
        else
        {
            convert(a.template data<double>());
        }
        return out;
    }

    // An array of dtype `dt` holding the values of any xtensor expression (xarray, xtensor,
    // a lazy expression, any layout) in row-major order.
    template <class E>
    array from_xarray(const xt::xexpression<E>& expression, adjoint::dtype dt)
    {
        using T = std::decay_t<typename E::value_type>;
        static_assert(std::is_arithmetic_v<T>, "from_xarray: the values must be of an arithmetic type");
        const E& x = expression.derived_cast();
        std::vector<double> values;
        values.reserve(x.size());
        // xtensor iterators walk in row-major order whatever the storage layout.
        for (auto it = x.begin(); it != x.end(); ++it)
        {
            values.push_back(static_cast<double>(*it));
        }
        return array::from_values(values, shape_t(x.shape().begin(), x.shape().end()), dt);
    }

    // The dtype follows the values: float gives float32, double (and every other type) float64.
    template <class E>
    array from_xarray(const xt::xexpression<E>& expression)
    {
        using T = std::decay_t<typename E::value_type>;
        return from_xarray(expression, std::is_same_v<T, float> ? float32 : float64);
    }
}
