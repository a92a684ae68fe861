// Printing tensors: the values laid out by core/print.hpp inside "tensor(...)", followed by
// shape, dtype and either the producing op (grad_fn) or requires_grad for leaves.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/core/print.hpp>

#include <ostream>

namespace adjoint
{
    std::string to_string(const Tensor& t)
    {
        if (!t.defined())
        {
            return "tensor(undefined)";
        }
        const std::string prefix = "tensor(";
        std::string s = prefix + format_values(t.data(), static_cast<std::int64_t>(prefix.size()));
        s += detail::str(", shape=", shape_str(t.shape()), ", dtype=", dtype_name(t.dtype()));
        if (t.grad_fn())
        {
            s += ", grad_fn=<" + t.grad_fn()->name() + ">";
        }
        else if (t.requires_grad())
        {
            s += ", requires_grad=true";
        }
        return s + ")";
    }

    std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << to_string(t); }
}
