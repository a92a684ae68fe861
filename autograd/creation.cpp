// Tensor constructors: constants, ranges and nested lists (random values and .npy files
// live in random.cpp and npy.cpp).
#include <adjoint/autograd/ops.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    Tensor full(const shape_t& shape, double value, adjoint::dtype dt) { return Tensor(array::full(shape, value, dt)); }
    Tensor zeros(const shape_t& shape, adjoint::dtype dt) { return full(shape, 0.0, dt); }
    Tensor ones(const shape_t& shape, adjoint::dtype dt) { return full(shape, 1.0, dt); }
    Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
    Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
    Tensor scalar(double value, adjoint::dtype dt) { return full({}, value, dt); }

    Tensor from_vector(const std::vector<double>& values, const shape_t& shape, adjoint::dtype dt)
    {
        return Tensor(array::from_values(values, shape, dt));
    }

    Tensor arange(double end, adjoint::dtype dt) { return arange(0.0, end, 1.0, dt); }

    Tensor arange(double start, double end, double step, adjoint::dtype dt)
    {
        if (!std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
        {
            throw std::invalid_argument(detail::str("arange: start, end and step must be finite, got start=", start,
                                                    ", end=", end, ", step=", step));
        }
        if (step == 0.0 || (end - start) * step < 0.0)
        {
            throw std::invalid_argument(detail::str("arange: step must be nonzero and point from start towards end, "
                                                    "got start=", start, ", end=", end, ", step=", step));
        }
        // As in PyTorch: ceil((end - start) / step) values, each start + i * step (no running
        // sum, so rounding errors do not accumulate along the range).
        const double n = std::ceil((end - start) / step);
        if (!(n <= 9007199254740992.0))   // 2^53: beyond it the count itself is inexact (or infinite)
        {
            throw std::invalid_argument(detail::str("arange: the range must hold at most 2^53 values, got start=",
                                                    start, ", end=", end, ", step=", step));
        }
        const auto count = static_cast<std::int64_t>(n);
        std::vector<double> values(static_cast<std::size_t>(count));
        for (std::int64_t i = 0; i < count; ++i)
        {
            values[static_cast<std::size_t>(i)] = start + static_cast<double>(i) * step;
        }
        return from_vector(values, {count}, dt);
    }

    void nested_values::flatten(std::vector<double>& values, shape_t& shape) const
    {
        // The first path down gives the shape; collect() then holds every list to it.
        shape.clear();
        for (const nested_values* n = this; n->m_is_list; n = &n->m_items.front())
        {
            shape.push_back(static_cast<std::int64_t>(n->m_items.size()));
            if (n->m_items.empty())
            {
                break;
            }
        }
        values.clear();
        collect(values, shape, 0);
    }

    void nested_values::collect(std::vector<double>& values, const shape_t& shape, std::size_t depth) const
    {
        if (depth == shape.size() && !m_is_list)
        {
            values.push_back(m_value);
            return;
        }
        const auto fail = [depth](const std::string& expected, const std::string& got) {
            throw std::invalid_argument(detail::str("tensor: nested lists must be rectangular; at depth ", depth,
                                                    " expected ", expected, ", got ", got));
        };
        if (depth == shape.size())
        {
            fail("a number", detail::str("a list of ", m_items.size()));
        }
        if (!m_is_list)
        {
            fail(detail::str("a list of ", shape[depth]), "a number");
        }
        if (static_cast<std::int64_t>(m_items.size()) != shape[depth])
        {
            fail(detail::str(shape[depth], " elements"), std::to_string(m_items.size()));
        }
        for (const auto& item : m_items)
        {
            item.collect(values, shape, depth + 1);
        }
    }

    Tensor tensor(const nested_values& values, adjoint::dtype dt)
    {
        std::vector<double> flat;
        shape_t shape;
        values.flatten(flat, shape);
        return from_vector(flat, shape, dt);
    }
}
