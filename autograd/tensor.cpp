// Tensor handle: construction, leaf flags, gradient storage, detach and dtype conversion.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>

#include <stdexcept>

namespace adjoint
{
    Tensor::Tensor(array data, bool requires_grad) : m_impl(std::make_shared<detail::tensor_impl>())
    {
        m_impl->data = std::move(data);
        requires_grad_(requires_grad);
    }

    static const detail::tensor_impl& checked(const std::shared_ptr<detail::tensor_impl>& impl)
    {
        if (!impl)
        {
            throw std::logic_error("Tensor: this tensor is undefined (default-constructed, or a gradient that "
                                   "was never computed)");
        }
        return *impl;
    }

    const array& Tensor::data() const { return checked(m_impl).data; }
    array& Tensor::mutable_data() { return const_cast<detail::tensor_impl&>(checked(m_impl)).data; }
    bool Tensor::requires_grad() const { return m_impl && m_impl->requires_grad; }
    bool Tensor::is_leaf() const { return checked(m_impl).grad_fn == nullptr; }
    const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked(m_impl).grad_fn; }

    Tensor& Tensor::requires_grad_(bool requires_grad)
    {
        const auto& impl = checked(m_impl);
        if (impl.grad_fn && !requires_grad)
        {
            throw std::logic_error(detail::str("requires_grad_: only leaves can change requires_grad, got the output of '",
                                               impl.grad_fn->name(), "'; use detach() for a copy without a graph"));
        }
        if (requires_grad && !is_floating(impl.data.dtype()))
        {
            throw std::logic_error(detail::str("requires_grad_: only float32 and float64 tensors can require "
                                               "gradients, got ", dtype_name(impl.data.dtype())));
        }
        m_impl->requires_grad = requires_grad;
        return *this;
    }

    Tensor Tensor::grad() const
    {
        const auto& impl = checked(m_impl);
        return impl.grad ? Tensor(impl.grad) : Tensor();
    }

    void Tensor::zero_grad() { checked(m_impl), m_impl->grad.reset(); }

    void Tensor::set_grad(const Tensor& grad)
    {
        checked(m_impl);
        if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype()))
        {
            throw std::invalid_argument(detail::str("set_grad: gradient must have shape ", shape_str(shape()), " and dtype ",
                                                    dtype_name(dtype()), ", got ", shape_str(grad.shape()), " ",
                                                    dtype_name(grad.dtype())));
        }
        m_impl->grad = grad.defined() ? grad.impl() : nullptr;
    }

    Tensor Tensor::detach() const { return Tensor(data()); }

    Tensor Tensor::to(adjoint::dtype dt) const
    {
        if (dt == dtype())
        {
            return *this;
        }
        const adjoint::dtype from = dtype();
        if (!is_floating(dt) || !is_floating(from))
        {
            // As in PyTorch, a conversion to or from integers is not differentiable: the
            // result is a plain tensor (int64 values cannot require gradients).
            return Tensor(data().to(dt));
        }
        return detail::record(data().to(dt), "to", {*this},
                              [from](const Tensor& g, const std::vector<bool>&) -> tensor_list { return {g.to(from)}; },
                              detail::saves::nothing());
    }
}
