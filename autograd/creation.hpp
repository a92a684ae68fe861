// Creating tensors: constants, ranges, nested initializer lists, random values from one
// seedable global generator, and .npy files. Results are leaves that do not require grad
// unless asked.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace adjoint
{
    Tensor zeros(const shape_t& shape, adjoint::dtype dt = float32);
    Tensor ones(const shape_t& shape, adjoint::dtype dt = float32);
    Tensor full(const shape_t& shape, double value, adjoint::dtype dt = float32);
    Tensor zeros_like(const Tensor& t);
    Tensor ones_like(const Tensor& t);
    Tensor scalar(double value, adjoint::dtype dt = float32);      // a 0-d tensor
    Tensor arange(double end, adjoint::dtype dt = float32);
    Tensor arange(double start, double end, double step = 1.0, adjoint::dtype dt = float32);

    // A number or a (nested) braced list of numbers: the argument type of tensor(). Braces
    // always mean a list, so {{5}, {6}} is a 2x1 column and {5} a one-element vector.
    class nested_values
    {
    public:
        nested_values(double value) : m_value(value) {}
        nested_values(std::initializer_list<nested_values> items) : m_items(items), m_is_list(true) {}
        // Row-major values and the shape; ragged lists throw std::invalid_argument.
        void flatten(std::vector<double>& values, shape_t& shape) const;

    private:
        void collect(std::vector<double>& values, const shape_t& shape, std::size_t depth) const;
        double m_value = 0.0;
        std::vector<nested_values> m_items;
        bool m_is_list = false;
    };

    // tensor({{1, 2}, {3, 4}}): nested lists give the shape (any depth); tensor(2.5) is 0-d.
    Tensor tensor(const nested_values& values, adjoint::dtype dt = float32);
    Tensor from_vector(const std::vector<double>& values, const shape_t& shape, adjoint::dtype dt = float32);

    void manual_seed(std::uint64_t seed);
    Tensor rand(const shape_t& shape, adjoint::dtype dt = float32);              // uniform in [0, 1)
    Tensor randn(const shape_t& shape, adjoint::dtype dt = float32);             // standard normal
    Tensor uniform(const shape_t& shape, double low, double high, adjoint::dtype dt = float32);

    // NumPy .npy files (little-endian float32/float64, C order). Corrupt or unsupported files
    // raise std::runtime_error naming the file and what is wrong; saving is atomic.
    Tensor load_npy(const std::string& path);
    void save_npy(const Tensor& t, const std::string& path);
}
