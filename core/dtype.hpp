// dtype: the runtime element type of arrays and tensors. float32 is the default for
// training; float64 exists for gradient checks and golden comparisons; int64 holds indices
// and class targets (argmax results, pooling indices, cross-entropy targets, counters).
// No half or bool types: comparison masks are stored in the operands' dtype.
#pragma once
#include <cstddef>

namespace adjoint
{
    enum class dtype
    {
        float32,
        float64,
        int64
    };

    inline constexpr dtype float32 = dtype::float32;
    inline constexpr dtype float64 = dtype::float64;
    inline constexpr dtype int64 = dtype::int64;

    const char* dtype_name(dtype dt);    // "float32" / "float64" / "int64"
    std::size_t dtype_size(dtype dt);    // bytes per element
    bool is_floating(dtype dt);          // float32 or float64: the dtypes gradients exist for
}
