// dtype: the runtime element type of arrays and tensors. float32 is the default for
// training; float64 exists for gradient checks and golden comparisons. No integer or
// half types: masks and indices are stored as floating values of the array's dtype.
#pragma once
#include <cstddef>

namespace adjoint
{
    enum class dtype
    {
        float32,
        float64
    };

    inline constexpr dtype float32 = dtype::float32;
    inline constexpr dtype float64 = dtype::float64;

    const char* dtype_name(dtype dt);    // "float32" / "float64"
    std::size_t dtype_size(dtype dt);    // bytes per element
}
