// The one place that includes xtensor (internal to core/*.cpp): the storage behind
// `array` (an allocator buffer), zero-copy xtensor views of arrays, and dtype dispatch. Public headers never
// include this file, so an xtensor upgrade touches core/ only.
#pragma once
#include <adjoint/core/allocator.hpp>
#include <adjoint/core/array.hpp>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

namespace adjoint::detail
{
    // Flat, 64-byte-aligned buffers from the caching allocator (core/allocator.hpp); the n-d
    // shape lives in the array that points here, and xtensor sees the buffer through xview /
    // xt::adapt. `id` names this buffer for the lifetime of the process (never reused, unlike
    // its address) and `version` counts writes into it: together they let backward tell that
    // a tensor it saved was modified in place (see autograd/node.cpp).
    struct storage
    {
        void* data = nullptr;
        std::size_t numel = 0;
        std::size_t capacity = 0;   // the allocator's size class, in bytes
        adjoint::dtype dt = adjoint::float32;
        std::uint64_t id = next_id();
        std::atomic<std::uint64_t> version{0};

        storage() = default;
        storage(const storage&) = delete;
        storage& operator=(const storage&) = delete;
        ~storage() { deallocate_buffer(data, capacity, numel * dtype_size(dt)); }

        static std::uint64_t next_id()
        {
            static std::atomic<std::uint64_t> counter{0};
            return ++counter;
        }
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

    // Calls f(T{}) with T the C++ type of dt, for every dtype: the switch that kernels which
    // only move or compare values (copies, shape ops, printing, files) go through.
    template <class F>
    decltype(auto) dispatch(adjoint::dtype dt, F&& f)
    {
        switch (dt)
        {
            case adjoint::dtype::float32: return f(float{});
            case adjoint::dtype::float64: return f(double{});
            case adjoint::dtype::int64: return f(std::int64_t{});
        }
        throw std::logic_error("dispatch: invalid dtype value");
    }

    // One value converted to T: a plain cast between floating types and from int64; to int64
    // it truncates toward zero as PyTorch does, and NaN, infinities and values outside
    // int64's range (undefined behaviour for a cast) are an error naming the op.
    template <class T, class F>
    T convert(F v, const char* op)
    {
        if constexpr (std::is_same_v<T, std::int64_t> && std::is_floating_point_v<F>)
        {
            // 2^63 is exact in every floating type; int64 holds [-2^63, 2^63).
            if (!(v >= F(-9223372036854775808.0) && v < F(9223372036854775808.0)))
            {
                throw std::invalid_argument(str(op, ": cannot convert ", static_cast<double>(v),
                                                " to int64 (NaN, infinite or outside [-2^63, 2^63))"));
            }
        }
        return static_cast<T>(v);
    }

    // The error for arithmetic that has no integer meaning here (exp, a gradient, a GEMM).
    [[noreturn]] inline void not_for_dtype(const char* op, adjoint::dtype dt)
    {
        throw std::invalid_argument(str(op, ": expected a float32 or float64 tensor, got ", dtype_name(dt),
                                        "; convert it with .to(float32) first"));
    }

    // Calls f(T{}) with T float or double; int64 raises not_for_dtype(op). Kernels doing
    // floating arithmetic go through this one, so an int64 array never runs through them.
    template <class F>
    decltype(auto) dispatch_floating(adjoint::dtype dt, const char* op, F&& f)
    {
        switch (dt)
        {
            case adjoint::dtype::float32: return f(float{});
            case adjoint::dtype::float64: return f(double{});
            case adjoint::dtype::int64: break;
        }
        not_for_dtype(op, dt);
    }
}
