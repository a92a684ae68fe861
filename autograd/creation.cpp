// Tensor constructors: constants, ranges and nested lists (random values and .npy files
// live in random.cpp and npy.cpp).
#include <adjoint/autograd/ops.hpp>

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
