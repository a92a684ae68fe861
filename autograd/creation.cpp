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

    namespace
    {
        // Flattens one level of nesting, checking every inner list has the same shape.
        template <class List, class Leaf>
        void flatten_into(const List& list, std::vector<double>& values, shape_t& shape, std::size_t depth, Leaf leaf)
        {
            if (shape.size() <= depth)
            {
                shape.push_back(static_cast<std::int64_t>(list.size()));
            }
            else if (shape[depth] != static_cast<std::int64_t>(list.size()))
            {
                throw std::invalid_argument(detail::str("tensor: nested lists must be rectangular; at depth ", depth,
                                                        " expected ", shape[depth], " elements, got ", list.size()));
            }
            for (const auto& item : list)
            {
                leaf(item, values, shape, depth + 1);
            }
        }

        struct scalar_leaf
        {
            void operator()(double v, std::vector<double>& values, shape_t&, std::size_t) const { values.push_back(v); }
        };

        template <class Inner>
        struct nested_leaf
        {
            Inner inner;
            template <class List>
            void operator()(const List& l, std::vector<double>& values, shape_t& shape, std::size_t depth) const
            {
                flatten_into(l, values, shape, depth, inner);
            }
        };

        template <class List, class Leaf>
        Tensor from_nested(const List& list, Leaf leaf, adjoint::dtype dt)
        {
            std::vector<double> values;
            shape_t shape;
            flatten_into(list, values, shape, 0, leaf);
            return from_vector(values, shape, dt);
        }
    }

    Tensor tensor(std::initializer_list<double> values, adjoint::dtype dt)
    {
        return from_nested(values, scalar_leaf{}, dt);
    }

    Tensor tensor(std::initializer_list<std::initializer_list<double>> values, adjoint::dtype dt)
    {
        return from_nested(values, nested_leaf<scalar_leaf>{}, dt);
    }

    Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> values,
                  adjoint::dtype dt)
    {
        return from_nested(values, nested_leaf<nested_leaf<scalar_leaf>>{}, dt);
    }

    Tensor tensor(
        std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<double>>>> values,
        adjoint::dtype dt)
    {
        return from_nested(values, nested_leaf<nested_leaf<nested_leaf<scalar_leaf>>>{}, dt);
    }
}
