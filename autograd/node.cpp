// Node bookkeeping, grad mode, and `record`: the single place where an op's result is
// attached to the graph (see node.hpp).
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>

#include <atomic>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        std::atomic<std::int64_t> g_live_nodes{0};
        thread_local bool t_grad_enabled = true;
    }

    bool is_grad_enabled() { return t_grad_enabled; }
    void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }

    Node::Node(std::string name, std::vector<std::shared_ptr<Node>> next, std::vector<shape_t> input_shapes,
               backward_fn fn)
        : m_name(std::move(name)), m_next(std::move(next)), m_input_shapes(std::move(input_shapes)),
          m_fn(std::move(fn))
    {
        ++g_live_nodes;
    }

    Node::Node(std::shared_ptr<detail::tensor_impl> leaf) : m_name("accumulate_grad"), m_leaf(std::move(leaf))
    {
        ++g_live_nodes;
    }

    Node::~Node() { --g_live_nodes; }

    std::int64_t Node::live_count() { return g_live_nodes.load(); }

    namespace detail
    {
        void check_same_dtype(const char* op, const tensor_list& inputs)
        {
            const Tensor* first = nullptr;
            for (const auto& t : inputs)
            {
                if (!t.defined())
                {
                    continue;
                }
                if (first == nullptr)
                {
                    first = &t;
                }
                else if (t.dtype() != first->dtype())
                {
                    throw std::invalid_argument(str(op, ": all inputs must have the same dtype, got ",
                                                    dtype_name(first->dtype()), " and ", dtype_name(t.dtype()),
                                                    "; convert one with .to()"));
                }
            }
        }

        std::shared_ptr<Node> edge_to_leaf(const Tensor& t)
        {
            auto acc = t.impl()->grad_accumulator.lock();
            if (!acc)
            {
                acc = std::make_shared<Node>(t.impl());
                t.impl()->grad_accumulator = acc;
            }
            return acc;
        }

        // The edge to input t: its producing node, or its leaf accumulator (one per leaf,
        // shared while any graph still uses it), or null when t needs no gradient.
        static std::shared_ptr<Node> edge_to(const Tensor& t)
        {
            if (!t.defined() || !t.requires_grad())
            {
                return nullptr;
            }
            return t.grad_fn() ? t.grad_fn() : edge_to_leaf(t);
        }

        Tensor record(array result, const char* name, const tensor_list& inputs, backward_fn fn)
        {
            Tensor out(std::move(result));
            if (!is_grad_enabled())
            {
                return out;
            }
            std::vector<std::shared_ptr<Node>> next;
            std::vector<shape_t> shapes;
            bool any = false;
            for (const auto& t : inputs)
            {
                next.push_back(edge_to(t));
                shapes.push_back(t.defined() ? t.shape() : shape_t{});
                any = any || next.back() != nullptr;
            }
            if (!any)
            {
                return out;
            }
            out.impl()->requires_grad = true;
            out.impl()->grad_fn = std::make_shared<Node>(name, std::move(next), std::move(shapes), std::move(fn));
            return out;
        }
    }
}
