// Tensor: an array plus what autograd needs — requires_grad, the node that produced it
// (grad_fn) and, for leaves, the accumulated gradient. A Tensor is a cheap shared handle.
// Ops are free functions (autograd/*.hpp); this class holds only identity and the backward entry.
#pragma once
#include <adjoint/core/array.hpp>

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace adjoint
{
    class Node;
    class Tensor;
    using tensor_list = std::vector<Tensor>;

    namespace detail
    {
        struct tensor_impl
        {
            array data;
            bool requires_grad = false;
            std::shared_ptr<Node> grad_fn;            // null for leaves
            std::shared_ptr<tensor_impl> grad;        // accumulated gradient (leaves only)
            std::weak_ptr<Node> grad_accumulator;     // the leaf's accumulate node, while a graph uses it
            // Tensor::register_grad_accumulated_hook's callbacks, by handle, in registration order.
            std::vector<std::pair<std::size_t, std::function<void(const Tensor&)>>> grad_accumulated_hooks;
        };
    }

    class Tensor
    {
    public:
        Tensor() = default;   // undefined
        explicit Tensor(array data, bool requires_grad = false);

        bool defined() const { return m_impl != nullptr; }
        const array& data() const;     // the values, without any graph
        // The buffer itself, for kernels that write into it. Writing bumps its version, so a
        // graph that saved this tensor refuses to run backward afterwards; assigning a new
        // array replaces the data (a saved graph then refuses too). Prefer the updates below.
        array& mutable_data();

        adjoint::dtype dtype() const { return data().dtype(); }
        const shape_t& shape() const { return data().shape(); }
        std::int64_t dim() const { return data().dim(); }
        std::int64_t numel() const { return data().numel(); }
        std::int64_t size(std::int64_t axis) const { return data().size(axis); }
        double item() const { return data().item(); }
        std::vector<double> to_vector() const { return data().to_vector(); }

        bool requires_grad() const;
        Tensor& requires_grad_(bool requires_grad = true);   // leaves only
        bool is_leaf() const;
        const std::shared_ptr<Node>& grad_fn() const;

        Tensor grad() const;   // undefined until a backward pass reaches this leaf
        void zero_grad();      // drops the accumulated gradient
        void set_grad(const Tensor& grad);

        // Leaves only (std::logic_error otherwise). `hook(leaf)` runs after every backward pass
        // (backward(), not grad()) has added its gradient into this leaf's .grad — once per
        // pass, with the summed gradient already in leaf.grad(); hooks run in registration
        // order on the thread running backward, outside the engine's locks. It is how
        // data-parallel training starts communicating a gradient while the rest of the
        // backward pass still runs (layers/distributed/data_parallel.hpp). An exception from a
        // hook leaves backward() at once. Returns a handle for remove_grad_accumulated_hook;
        // removing an unknown handle does nothing.
        std::size_t register_grad_accumulated_hook(std::function<void(const Tensor&)> hook);
        void remove_grad_accumulated_hook(std::size_t handle);

        // Reverse-mode pass from this tensor. `gradient` defaults to 1 for a one-element
        // tensor and is required otherwise. Without retain_graph the graph is freed as it
        // is walked; create_graph records the backward pass itself for higher-order gradients
        // (and implies retain_graph).
        void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                      bool create_graph = false) const;

        // In-place updates, as PyTorch's: they write into this tensor's buffer (handles held
        // elsewhere, an optimizer's or a module's, see the new values) and bump its version.
        // On a tensor that requires grad they must run under no_grad_guard (std::logic_error
        // otherwise): an optimizer step is not part of any graph. Operands have this tensor's
        // shape and dtype. Rebinding instead (`p = p - lr * g`) changes only the local handle.
        Tensor& fill_(double value);
        Tensor& zero_();
        Tensor& copy_(const Tensor& src);
        Tensor& add_(const Tensor& other, double alpha = 1.0);                  // this += alpha * other
        Tensor& sub_(const Tensor& other, double alpha = 1.0);                  // this -= alpha * other
        Tensor& mul_(double factor);
        Tensor& mul_(const Tensor& other);
        Tensor& addcmul_(const Tensor& a, const Tensor& b, double value = 1.0);   // this += value * a * b
        Tensor& addcdiv_(const Tensor& a, const Tensor& b, double value = 1.0);   // this += value * a / b

        Tensor detach() const;                    // same values, no graph, requires_grad false
        Tensor to(adjoint::dtype dt) const;       // differentiable dtype conversion
        bool is_same(const Tensor& other) const { return m_impl == other.m_impl; }

        const std::shared_ptr<detail::tensor_impl>& impl() const { return m_impl; }
        explicit Tensor(std::shared_ptr<detail::tensor_impl> impl) : m_impl(std::move(impl)) {}

    private:
        std::shared_ptr<detail::tensor_impl> m_impl;
    };

    // Gradients of `outputs` with respect to `inputs` (like torch.autograd.grad); leaves'
    // .grad is left untouched. An input the outputs do not depend on gets an undefined
    // Tensor if allow_unused, else std::logic_error.
    tensor_list grad(const tensor_list& outputs, const tensor_list& inputs,
                     const tensor_list& grad_outputs = {}, bool retain_graph = false,
                     bool create_graph = false, bool allow_unused = false);

    std::ostream& operator<<(std::ostream& out, const Tensor& t);
    std::string to_string(const Tensor& t);
}
