// Node: one recorded op in the graph — its name, an edge per input to the node that
// produced that input (null when no gradient is needed there) and its backward function.
// The backward function captures the op's inputs, never its output, so the graph holds no
// shared_ptr cycle and is freed when the last tensor that reaches it goes away.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <functional>
#include <string>

namespace adjoint
{
    // needs[i] says whether input i wants a gradient; a backward function returns one
    // Tensor per input and may leave entries whose needs[i] is false undefined.
    using backward_fn = std::function<tensor_list(const Tensor& grad_output, const std::vector<bool>& needs)>;

    class Node
    {
    public:
        Node(std::string name, std::vector<std::shared_ptr<Node>> next, std::vector<shape_t> input_shapes,
             backward_fn fn);
        explicit Node(std::shared_ptr<detail::tensor_impl> leaf);   // accumulates into a leaf's .grad
        ~Node();
        Node(const Node&) = delete;
        Node& operator=(const Node&) = delete;

        const std::string& name() const { return m_name; }
        const std::vector<std::shared_ptr<Node>>& next() const { return m_next; }
        bool is_accumulator() const { return m_leaf != nullptr; }
        bool released() const { return m_released; }

        // Number of Node objects alive in this process: a leak shows as a count that grows.
        static std::int64_t live_count();

    private:
        friend struct engine_access;
        std::string m_name;
        std::vector<std::shared_ptr<Node>> m_next;
        std::vector<shape_t> m_input_shapes;
        backward_fn m_fn;
        std::shared_ptr<detail::tensor_impl> m_leaf;
        bool m_released = false;
    };

    namespace detail
    {
        // Wraps an op's result: when grad mode is on and some input requires grad, the result
        // gets a Node named `name` whose backward is `fn`. Every differentiable op ends here.
        Tensor record(array result, const char* name, const tensor_list& inputs, backward_fn fn);

        // The accumulate node of leaf t: one per leaf, shared while any graph still uses it.
        std::shared_ptr<Node> edge_to_leaf(const Tensor& t);

        // Throws std::invalid_argument if the defined tensors do not all share one dtype.
        void check_same_dtype(const char* op, const tensor_list& inputs);
    }
}
