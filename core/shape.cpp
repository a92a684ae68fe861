// Shape rules: formatting, counting, broadcasting and axis checks (see shape.hpp).
#include <adjoint/core/shape.hpp>
#include <adjoint/core/dtype.hpp>

#include <limits>
#include <stdexcept>

namespace adjoint
{
    // Exhaustive switches: a new dtype fails to compile with -Wswitch until every table knows it.
    const char* dtype_name(dtype dt)
    {
        switch (dt)
        {
            case dtype::float32: return "float32";
            case dtype::float64: return "float64";
            case dtype::int64: return "int64";
        }
        throw std::logic_error("dtype_name: invalid dtype value");
    }

    std::size_t dtype_size(dtype dt)
    {
        switch (dt)
        {
            case dtype::float32: return sizeof(float);
            case dtype::float64: return sizeof(double);
            case dtype::int64: return sizeof(std::int64_t);
        }
        throw std::logic_error("dtype_size: invalid dtype value");
    }

    bool is_floating(dtype dt) { return dt == dtype::float32 || dt == dtype::float64; }

    std::string shape_str(const shape_t& shape)
    {
        std::string s = "(";
        for (std::size_t i = 0; i < shape.size(); ++i)
        {
            s += (i ? ", " : "") + std::to_string(shape[i]);
        }
        // A one-element tuple keeps its comma, as in Python, so (3,) is not mistaken for 3.
        return s + (shape.size() == 1 ? ",)" : ")");
    }

    std::optional<std::int64_t> try_shape_numel(const shape_t& shape)
    {
        std::int64_t n = 1;
        bool empty = false;
        for (auto d : shape)
        {
            if (d == 0)
            {
                empty = true;
                continue;
            }
            const auto next = checked_mul(n, d);
            if (!next)
            {
                return std::nullopt;
            }
            n = *next;
        }
        return empty ? 0 : n;
    }

    std::int64_t shape_numel(const shape_t& shape, const char* op)
    {
        const auto n = try_shape_numel(shape);
        if (!n)
        {
            throw std::invalid_argument(detail::str(op, ": expected a shape whose element count fits in int64 (at most ",
                                                    std::numeric_limits<std::int64_t>::max(), "), got shape ",
                                                    shape_str(shape)));
        }
        return *n;
    }

    shape_t unravel_index(std::int64_t flat, const shape_t& shape)
    {
        shape_t index(shape.size(), 0);
        for (std::size_t i = shape.size(); i-- > 0;)
        {
            if (shape[i] > 0)
            {
                index[i] = flat % shape[i];
                flat /= shape[i];
            }
        }
        return index;
    }

    shape_t contiguous_strides(const shape_t& shape)
    {
        shape_t strides(shape.size(), 1);
        for (std::size_t i = shape.size(); i-- > 1;)
        {
            strides[i - 1] = strides[i] * shape[i];
        }
        return strides;
    }

    shape_t broadcast_shapes(const shape_t& a, const shape_t& b, const char* op)
    {
        const std::size_t n = std::max(a.size(), b.size());
        shape_t out(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            // Align from the right: missing leading dimensions count as 1.
            const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
            const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
            if (da != db && da != 1 && db != 1)
            {
                throw std::invalid_argument(detail::str(
                    op, ": shapes must be broadcastable (each dimension equal or 1, aligned from the right), got ",
                    shape_str(a), " and ", shape_str(b), " (dimension ", i, ": ", da, " vs ", db, ")"));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, const char* op)
    {
        // A 0-d tensor accepts axis 0 and -1, as in PyTorch.
        const std::int64_t n = std::max<std::int64_t>(ndim, 1);
        if (axis < -n || axis >= n)
        {
            throw std::invalid_argument(detail::str(op, ": axis must be in [", -n, ", ", n - 1, "] for a tensor of ",
                                                    ndim, " dimensions, got ", axis));
        }
        return axis < 0 ? axis + n : axis;
    }
}
