// The backward pass: an iterative topological sort from the roots, then one reverse sweep
// that feeds each node the sum of the gradients flowing into it. Nodes are released as they
// are run unless retain_graph is set, so a second pass over them fails loudly.
// After a leaf's gradient is summed into its .grad, the leaf's grad-accumulated hooks run
// (Tensor::register_grad_accumulated_hook), outside the leaf lock.
#include <adjoint/autograd/anomaly.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace adjoint
{
    namespace detail
    {
        std::recursive_mutex& leaf_mutex();   // node.cpp: guards leaves' .grad and accumulate nodes
    }

    struct engine_access
    {
        // Reverse topological order of every node reachable from `roots` (roots first).
        // Iterative DFS: a recursive one overflows the stack on long graphs.
        static std::vector<std::shared_ptr<Node>> order_from(const std::vector<std::shared_ptr<Node>>& roots)
        {
            std::vector<std::shared_ptr<Node>> post;
            std::unordered_set<Node*> seen;
            std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;
            for (const auto& r : roots)
            {
                if (r && seen.insert(r.get()).second)
                {
                    stack.emplace_back(r, 0);
                }
                while (!stack.empty())
                {
                    auto& [node, child] = stack.back();
                    if (child < node->m_next.size())
                    {
                        const auto& n = node->m_next[child++];
                        if (n && seen.insert(n.get()).second)
                        {
                            stack.emplace_back(n, 0);
                        }
                    }
                    else
                    {
                        post.push_back(node);
                        stack.pop_back();
                    }
                }
            }
            return {post.rbegin(), post.rend()};
        }

        static void accumulate(std::unordered_map<Node*, Tensor>& buffer, Node* node, const Tensor& g)
        {
            auto it = buffer.find(node);
            if (it == buffer.end())
            {
                buffer.emplace(node, g);
            }
            else
            {
                it->second = it->second + g;
            }
        }

        static void accumulate_into_leaf(Node& node, const Tensor& g, bool create_graph)
        {
            auto& leaf = *node.m_leaf;
            if (g.shape() != leaf.data.shape() || g.dtype() != leaf.data.dtype())
            {
                throw std::logic_error(detail::str("backward: gradient for a leaf of shape ", shape_str(leaf.data.shape()),
                                                   " and dtype ", dtype_name(leaf.data.dtype()), " must match it, got ",
                                                   shape_str(g.shape()), " ", dtype_name(g.dtype())));
            }
            Tensor add = create_graph ? g : g.detach();
            // Two threads may run backward through one shared parameter: each sum must see the
            // other's result, or one of the two gradients is lost.
            decltype(leaf.grad_accumulated_hooks) hooks;
            {
                const std::lock_guard<std::recursive_mutex> lock(detail::leaf_mutex());
                leaf.grad = leaf.grad ? (Tensor(leaf.grad) + add).impl() : add.impl();
                hooks = leaf.grad_accumulated_hooks;   // a copy: a hook may remove itself
            }
            for (const auto& entry : hooks)
            {
                entry.second(Tensor(node.m_leaf));
            }
        }

        // A node's backward under anomaly mode: the ops inside it are not checked one by one
        // (a backward may pass through an Inf it cancels); what it returns is.
        static tensor_list run_checked(Node& node, const Tensor& g, const std::vector<bool>& needs)
        {
            tensor_list grads;
            {
                detail::backward_anomaly_scope scope;
                grads = node.m_fn(g, needs);
            }
            std::vector<std::string> producers;
            for (const auto& n : node.m_next)
            {
                producers.push_back(n && !n->is_accumulator() ? n->m_name : std::string());
            }
            detail::check_backward_anomaly(node.m_name, grads, needs, producers, node.m_forward_layer);
            return grads;
        }

        static tensor_list run(const tensor_list& roots, const tensor_list& root_grads, bool retain_graph,
                               bool create_graph, const tensor_list& capture, bool allow_unused)
        {
            // As in PyTorch, create_graph implies retain_graph: the new graph reaches back
            // through the saved inputs of the nodes just run.
            retain_graph = retain_graph || create_graph;
            std::vector<std::shared_ptr<Node>> root_nodes;
            std::unordered_map<Node*, Tensor> buffer;
            for (std::size_t i = 0; i < roots.size(); ++i)
            {
                const Tensor& r = roots[i];
                if (!r.requires_grad())
                {
                    throw std::logic_error(
                        "backward: the tensor does not require grad and has no grad_fn; call requires_grad_() on a "
                        "leaf it is computed from, and make sure grad mode is on (no no_grad_guard) while computing it");
                }
                const Tensor& g = root_grads[i];
                if (g.shape() != r.shape())
                {
                    throw std::invalid_argument(detail::str("backward: gradient must have the output's shape ",
                                                            shape_str(r.shape()), ", got ", shape_str(g.shape())));
                }
                detail::check_same_dtype("backward", {r, g});
                auto node = r.grad_fn() ? r.grad_fn() : detail::edge_to_leaf(r);
                root_nodes.push_back(node);
                accumulate(buffer, node.get(), g);
            }

            // Inputs whose gradient is wanted (torch.autograd.grad): the node gradients flow into.
            std::unordered_map<Node*, std::size_t> wanted;
            std::vector<std::shared_ptr<Node>> capture_nodes;
            for (std::size_t i = 0; i < capture.size(); ++i)
            {
                const Tensor& t = capture[i];
                std::shared_ptr<Node> n = t.grad_fn() ? t.grad_fn() : t.impl()->grad_accumulator.lock();
                capture_nodes.push_back(n);
                if (n)
                {
                    wanted.emplace(n.get(), i);
                }
            }
            const bool capturing = !capture.empty();
            tensor_list captured(capture.size());

            enable_grad_guard mode(create_graph);
            for (const auto& node : order_from(root_nodes))
            {
                auto it = buffer.find(node.get());
                if (it == buffer.end())
                {
                    continue;   // no gradient reached this node
                }
                Tensor g = it->second;
                buffer.erase(it);
                if (capturing)
                {
                    auto w = wanted.find(node.get());
                    if (w != wanted.end())
                    {
                        captured[w->second] = create_graph ? g : g.detach();
                    }
                }
                if (node->is_accumulator())
                {
                    if (!capturing)
                    {
                        accumulate_into_leaf(*node, g, create_graph);
                    }
                    continue;
                }
                if (node->m_released)
                {
                    throw std::logic_error(detail::str(
                        "backward: the graph through '", node->m_name,
                        "' was already freed by an earlier backward pass; pass retain_graph=true to the first "
                        "backward() (or grad()) if you need to go through the graph again"));
                }
                detail::check_saved_versions(node->m_name, node->m_saved);
                std::vector<bool> needs(node->m_next.size());
                for (std::size_t i = 0; i < needs.size(); ++i)
                {
                    needs[i] = node->m_next[i] != nullptr;
                }
                tensor_list grads;
                if (detail::anomaly_enabled())
                {
                    grads = run_checked(*node, g, needs);
                }
                else
                {
                    grads = node->m_fn(g, needs);
                }
                for (std::size_t i = 0; i < needs.size(); ++i)
                {
                    if (!needs[i])
                    {
                        continue;
                    }
                    if (i >= grads.size() || !grads[i].defined() || grads[i].shape() != node->m_input_shapes[i])
                    {
                        throw std::logic_error(detail::str(
                            "backward: op '", node->m_name, "' returned a gradient for input ", i, " of shape ",
                            i < grads.size() && grads[i].defined() ? shape_str(grads[i].shape()) : "undefined",
                            ", expected ", shape_str(node->m_input_shapes[i]), " (a bug in that op's backward)"));
                    }
                    accumulate(buffer, node->m_next[i].get(), grads[i]);
                }
                if (!retain_graph)
                {
                    // Drop the saved inputs and the edges now: the graph behind this node is
                    // freed as soon as nothing else holds it.
                    node->m_fn = nullptr;
                    node->m_next.clear();
                    node->m_saved.clear();
                    node->m_released = true;
                }
            }
            for (std::size_t i = 0; i < capture.size(); ++i)
            {
                if (!captured[i].defined() && !allow_unused)
                {
                    throw std::logic_error(detail::str(
                        "grad: input ", i, " of shape ", shape_str(capture[i].shape()),
                        " was not used to compute the outputs (or does not require grad); pass allow_unused=true "
                        "to get an undefined gradient for it instead"));
                }
            }
            return captured;
        }
    };

    static Tensor default_root_grad(const Tensor& out, const Tensor& given, const char* op)
    {
        if (given.defined())
        {
            return given;
        }
        if (out.numel() != 1)
        {
            throw std::logic_error(detail::str(
                op, ": a gradient can be created implicitly only for a one-element output, got shape ",
                shape_str(out.shape()), "; pass a gradient of that shape"));
        }
        return Tensor(array::full(out.shape(), 1.0, out.dtype()));
    }

    std::size_t Tensor::register_grad_accumulated_hook(std::function<void(const Tensor&)> hook)
    {
        if (!defined() || !is_leaf())
        {
            throw std::logic_error(
                "register_grad_accumulated_hook: only a leaf tensor accumulates a gradient, got the output of an op");
        }
        if (!hook)
        {
            throw std::invalid_argument("register_grad_accumulated_hook: expected a callable hook, got an empty one");
        }
        static std::atomic<std::size_t> next_handle{1};
        const std::size_t handle = next_handle++;
        const std::lock_guard<std::recursive_mutex> lock(detail::leaf_mutex());
        m_impl->grad_accumulated_hooks.emplace_back(handle, std::move(hook));
        return handle;
    }

    void Tensor::remove_grad_accumulated_hook(std::size_t handle)
    {
        if (!defined())
        {
            return;
        }
        const std::lock_guard<std::recursive_mutex> lock(detail::leaf_mutex());
        auto& hooks = m_impl->grad_accumulated_hooks;
        for (auto it = hooks.begin(); it != hooks.end(); ++it)
        {
            if (it->first == handle)
            {
                hooks.erase(it);
                return;
            }
        }
    }

    void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const
    {
        engine_access::run({*this}, {default_root_grad(*this, gradient, "backward")}, retain_graph, create_graph,
                           {}, false);
    }

    tensor_list grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs,
                     bool retain_graph, bool create_graph, bool allow_unused)
    {
        if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
        {
            throw std::invalid_argument(detail::str("grad: expected one grad_output per output (", outputs.size(),
                                                    "), got ", grad_outputs.size()));
        }
        if (inputs.empty())
        {
            throw std::invalid_argument("grad: expected at least one input, got none");
        }
        tensor_list root_grads;
        for (std::size_t i = 0; i < outputs.size(); ++i)
        {
            root_grads.push_back(
                default_root_grad(outputs[i], grad_outputs.empty() ? Tensor() : grad_outputs[i], "grad"));
        }
        return engine_access::run(outputs, root_grads, retain_graph, create_graph, inputs, allow_unused);
    }
}
