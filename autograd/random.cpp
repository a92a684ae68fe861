// rand / randn / uniform and manual_seed: argument checks, then the core generator
// (core/random.hpp). Results are leaves that do not require grad.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/core/random.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    void manual_seed(std::uint64_t seed) { kernels::seed_global_generator(seed); }

    Tensor rand(const shape_t& shape, adjoint::dtype dt)
    {
        return Tensor(kernels::random_uniform(shape, 0.0, 1.0, dt));
    }

    Tensor randn(const shape_t& shape, adjoint::dtype dt) { return Tensor(kernels::random_normal(shape, dt)); }

    Tensor uniform(const shape_t& shape, double low, double high, adjoint::dtype dt)
    {
        if (!std::isfinite(low) || !std::isfinite(high) || !std::isfinite(high - low) || low > high)
        {
            throw std::invalid_argument(detail::str("uniform: low and high must be finite with low <= high, got low=",
                                                    low, ", high=", high));
        }
        return Tensor(kernels::random_uniform(shape, low, high, dt));
    }
}
