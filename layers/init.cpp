// Initialisers: draw from the global generator (adjoint::uniform), then copy the values into
// the tensor's existing buffer, so every handle and view of the parameter sees them.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/init.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace adjoint::init
{
    namespace
    {
        template <class T>
        void copy_values(const array& from, array& to)
        {
            std::copy_n(from.data<T>(), from.numel(), to.data<T>());
        }

        void check_defined(const char* op, const Tensor& t)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(detail::str(op, ": a defined tensor, got an undefined one"));
            }
        }
    }

    fans calculate_fan_in_and_fan_out(const shape_t& shape)
    {
        if (shape.size() < 2)
        {
            throw std::invalid_argument(detail::str("calculate_fan_in_and_fan_out: a shape with at least 2 "
                                                    "dimensions, got ",
                                                    shape_str(shape)));
        }
        const std::int64_t receptive_field = shape_numel(shape_t(shape.begin() + 2, shape.end()));
        return {shape[1] * receptive_field, shape[0] * receptive_field};
    }

    double leaky_relu_gain(double negative_slope) { return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope)); }

    double kaiming_uniform_bound(const shape_t& shape, double a, fan_mode mode)
    {
        const fans f = calculate_fan_in_and_fan_out(shape);
        const std::int64_t fan = mode == fan_mode::fan_in ? f.fan_in : f.fan_out;
        if (fan <= 0)
        {
            throw std::invalid_argument(detail::str("kaiming_uniform_: a shape with a positive fan, got ",
                                                    shape_str(shape)));
        }
        // Uniform(-b, b) has standard deviation b / sqrt(3); Kaiming wants gain / sqrt(fan).
        return leaky_relu_gain(a) * std::sqrt(3.0 / static_cast<double>(fan));
    }

    Tensor uniform_(Tensor t, double low, double high)
    {
        check_defined("uniform_", t);
        if (!(low <= high))
        {
            throw std::invalid_argument(detail::str("uniform_: low <= high, got low=", low, ", high=", high));
        }
        no_grad_guard guard;
        const array values = uniform(t.shape(), low, high, t.dtype()).data();
        array& target = t.mutable_data();
        if (target.dtype() == float64)
        {
            copy_values<double>(values, target);
        }
        else
        {
            copy_values<float>(values, target);
        }
        return t;
    }

    Tensor kaiming_uniform_(Tensor t, double a, fan_mode mode)
    {
        check_defined("kaiming_uniform_", t);
        const double bound = kaiming_uniform_bound(t.shape(), a, mode);
        return uniform_(std::move(t), -bound, bound);
    }
}
