// The global random generator: one std::mt19937_64 shared by the process, and arrays of
// uniform or normal values drawn from it. Values are drawn as doubles and then rounded to
// the array's dtype, so a seed gives the same sequence in float32 and float64.
// No per-call generators and no other distributions.
#pragma once
#include <adjoint/core/array.hpp>

#include <cstdint>

namespace adjoint::kernels
{
    // Restarts the global sequence. Until the first call the seed is std::mt19937_64's
    // default (5489), so runs are reproducible without seeding too.
    void seed_global_generator(std::uint64_t seed);

    // Uniform in [low, high), one 64-bit draw per element. low <= high, both finite
    // (validated by the caller); low == high gives a constant.
    array random_uniform(const shape_t& shape, double low, double high, adjoint::dtype dt);

    // Standard normal by Box-Muller: two draws per pair of elements (an odd count uses
    // the first half of its last pair).
    array random_normal(const shape_t& shape, adjoint::dtype dt);
}
