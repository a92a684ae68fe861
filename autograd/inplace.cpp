// Tensor's in-place updates (see tensor.hpp): the grad-mode rule, then a core/inplace kernel
// writing into the buffer. Not differentiable: they are for optimizers and initialisers.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/core/inplace.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        array& writable(Tensor& t, const char* op)
        {
            if (!t.defined())
            {
                throw std::logic_error(detail::str(op, ": the tensor is undefined"));
            }
            if (t.requires_grad() && is_grad_enabled())
            {
                throw std::logic_error(detail::str(
                    op, ": in-place update of a tensor that requires grad while grad mode is on; it would not be "
                        "recorded in the graph. Run the update under `no_grad_guard` (as an optimizer step does)"));
            }
            return t.mutable_data();
        }

        const array& operand(const Tensor& t, const char* op)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(detail::str(op, ": the operand is undefined"));
            }
            return t.data();
        }
    }

    Tensor& Tensor::fill_(double value)
    {
        writable(*this, "fill_").fill_(value);
        return *this;
    }

    Tensor& Tensor::zero_() { return fill_(0.0); }

    Tensor& Tensor::copy_(const Tensor& src)
    {
        kernels::copy_(writable(*this, "copy_"), operand(src, "copy_"), "copy_");
        return *this;
    }

    Tensor& Tensor::add_(const Tensor& other, double alpha)
    {
        kernels::axpby_(writable(*this, "add_"), 1.0, operand(other, "add_"), alpha, "add_");
        return *this;
    }

    Tensor& Tensor::sub_(const Tensor& other, double alpha)
    {
        kernels::axpby_(writable(*this, "sub_"), 1.0, operand(other, "sub_"), -alpha, "sub_");
        return *this;
    }

    Tensor& Tensor::mul_(double factor)
    {
        kernels::scale_(writable(*this, "mul_"), factor);
        return *this;
    }

    Tensor& Tensor::mul_(const Tensor& other)
    {
        kernels::mul_(writable(*this, "mul_"), operand(other, "mul_"), "mul_");
        return *this;
    }

    Tensor& Tensor::addcmul_(const Tensor& a, const Tensor& b, double value)
    {
        kernels::addcmul_(writable(*this, "addcmul_"), operand(a, "addcmul_"), operand(b, "addcmul_"), value,
                          "addcmul_");
        return *this;
    }

    Tensor& Tensor::addcdiv_(const Tensor& a, const Tensor& b, double value)
    {
        kernels::addcdiv_(writable(*this, "addcdiv_"), operand(a, "addcdiv_"), operand(b, "addcdiv_"), value,
                          "addcdiv_");
        return *this;
    }
}
