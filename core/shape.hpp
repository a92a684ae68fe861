// Shape rules shared by every op: shapes as tuples in messages, element counts (checked:
// a count that int64 cannot hold is an error, never a wrapped number), NumPy broadcasting
// and axis normalisation. No storage and no arithmetic on values here.
#pragma once
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace adjoint
{
    using shape_t = std::vector<std::int64_t>;

    // Size arithmetic: nullopt when the exact result does not fit in int64. Every size
    // computed from user input (element and byte counts, output extents) goes through these.
    inline std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b)
    {
        std::int64_t r;
        return __builtin_mul_overflow(a, b, &r) ? std::nullopt : std::optional<std::int64_t>(r);
    }
    inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b)
    {
        std::int64_t r;
        return __builtin_add_overflow(a, b, &r) ? std::nullopt : std::optional<std::int64_t>(r);
    }

    std::string shape_str(const shape_t& shape);           // "(2, 3)", "()" for a scalar

    // The element count, or nullopt when it is not representable. As in NumPy, the product of
    // the non-zero dimensions must fit even when a zero makes the count 0, so that strides
    // always fit too.
    std::optional<std::int64_t> try_shape_numel(const shape_t& shape);
    // The same, throwing std::invalid_argument naming `op` and the shape when it does not fit.
    std::int64_t shape_numel(const shape_t& shape, const char* op = "shape_numel");
    shape_t contiguous_strides(const shape_t& shape);      // row-major, in elements
    // The row-major index tuple of flat position `flat` in `shape` (for messages: which
    // element); 0 along empty dimensions.
    shape_t unravel_index(std::int64_t flat, const shape_t& shape);

    // NumPy broadcasting; throws std::invalid_argument naming `op` and both shapes.
    shape_t broadcast_shapes(const shape_t& a, const shape_t& b, const char* op);

    // Maps axis in [-ndim, ndim) to [0, ndim); throws std::invalid_argument otherwise.
    std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, const char* op);

    namespace detail
    {
        // Concatenates anything streamable: the building block of every error message.
        template <class... Args>
        std::string str(const Args&... args)
        {
            std::ostringstream out;
            (out << ... << args);
            return out.str();
        }
    }
}
