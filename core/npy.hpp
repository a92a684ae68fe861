// NumPy .npy files for arrays: float32/float64, little-endian, C order, format 1.0-3.0.
// Loading validates everything (magic, header, dtype, shape, exact data length) and
// reports a corrupt file instead of trusting it; saving writes a temp file then renames.
#pragma once
#include <adjoint/core/array.hpp>

#include <string>

namespace adjoint
{
    array load_npy_array(const std::string& path);
    void save_npy_array(const array& a, const std::string& path);
}
