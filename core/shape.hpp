// Shape rules shared by every op: shapes as tuples in messages, element counts,
// NumPy broadcasting and axis normalisation. No storage and no arithmetic on values here.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace adjoint
{
    using shape_t = std::vector<std::int64_t>;

    std::string shape_str(const shape_t& shape);           // "(2, 3)", "()" for a scalar
    std::int64_t shape_numel(const shape_t& shape);
    shape_t contiguous_strides(const shape_t& shape);      // row-major, in elements

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
