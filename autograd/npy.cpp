// Tensor-level .npy loading and saving: thin wrappers over core/npy (see creation.hpp).
#include <adjoint/autograd/creation.hpp>
#include <adjoint/core/npy.hpp>

namespace adjoint
{
    Tensor load_npy(const std::string& path) { return Tensor(load_npy_array(path)); }
    void save_npy(const Tensor& t, const std::string& path) { save_npy_array(t.data(), path); }
}
