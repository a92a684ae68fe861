// array: contiguous row-major n-d values with a runtime dtype, the storage under every
// Tensor. It knows nothing of gradients. Copies share the buffer (reshape is free);
// ops never write into their inputs, only `fill_` and the in-place helpers for optimizers do.
// Every write access (non-const data(), mutable_data_ptr(), fill_) bumps the buffer's version,
// which autograd reads to refuse a backward through a tensor modified after it was saved.
#pragma once
#include <adjoint/core/dtype.hpp>
#include <adjoint/core/shape.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace adjoint
{
    namespace detail
    {
        struct storage;   // the buffer (from core/allocator.hpp); defined in core/xt.hpp
    }

    class array
    {
    public:
        array() = default;   // undefined: no storage
        // Uninitialised. A shape whose element count int64 cannot hold is a std::invalid_argument;
        // memory that cannot be had is a std::runtime_error with the bytes, shape and dtype,
        // prefixed with `op` (the op that asks, e.g. "conv2d") when given, else "array".
        static array empty(const shape_t& shape, adjoint::dtype dt = float32, const char* op = nullptr);
        static array full(const shape_t& shape, double value, adjoint::dtype dt = float32);
        static array from_values(const std::vector<double>& values, const shape_t& shape,
                                 adjoint::dtype dt = float32);

        bool defined() const { return m_storage != nullptr; }
        adjoint::dtype dtype() const { return m_dtype; }
        const shape_t& shape() const { return m_shape; }
        std::int64_t dim() const { return static_cast<std::int64_t>(m_shape.size()); }
        std::int64_t numel() const { return m_numel; }   // of shape(), kept: kernels ask per loop
        std::int64_t size(std::int64_t axis) const;   // negative axes count from the end

        // Typed access; T must match dtype() (float, double or std::int64_t), else
        // std::logic_error. The non-const overload counts as a write (bumps version()).
        template <class T> T* data();
        template <class T> const T* data() const;

        // The buffer as bytes (nbytes() = numel() * dtype_size(dtype())), little-endian on
        // every platform this builds for: checkpoints and collectives read and write these.
        const void* data_ptr() const;
        void* mutable_data_ptr();                    // a write: bumps version()
        std::size_t nbytes() const;

        // Writes into the buffer so far, shared by every array that shares it; storage_id()
        // names the buffer uniquely for the process's lifetime. 0 for an undefined array.
        std::uint64_t version() const;
        std::uint64_t storage_id() const;

        double item() const;                          // the single value of a one-element array
        double flat(std::int64_t index) const;        // value at a flat row-major index
        std::vector<double> to_vector() const;

        array to(adjoint::dtype dt) const;            // shares the buffer when dt == dtype()
        array reshaped(const shape_t& shape) const;   // same buffer, numel must match
        array clone() const;                          // a private copy of the buffer
        bool shares_storage(const array& other) const { return m_storage == other.m_storage; }

        void fill_(double value);

    private:
        template <class T> T* typed() const;   // the buffer, no version bump
        adjoint::dtype m_dtype = float32;
        shape_t m_shape;
        std::int64_t m_numel = 1;   // shape_numel(m_shape), checked when the shape was set
        std::shared_ptr<detail::storage> m_storage;
    };
}
