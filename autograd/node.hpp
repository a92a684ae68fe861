// Node: one recorded op in the graph — its name, an edge per input to the node that
// produced that input (null when no gradient is needed there), its backward function and
// the versions of the tensors that backward reads. The backward function captures the op's
// inputs, never its output, so the graph holds no shared_ptr cycle and is freed when the
// last tensor that reaches it goes away — iteratively, so a graph of any length is freed
// without recursion (see make_node).
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

namespace adjoint
{
    // needs[i] says whether input i wants a gradient; a backward function returns one
    // Tensor per input and may leave entries whose needs[i] is false undefined.
    using backward_fn = std::function<tensor_list(const Tensor& grad_output, const std::vector<bool>& needs)>;

    namespace detail
    {
        // A tensor a backward function reads, as it was when the op ran: which one (input
        // index, or `output`), and its buffer's identity and write count at that time.
        struct saved_version
        {
            static constexpr std::size_t output = static_cast<std::size_t>(-1);
            std::size_t input;
            std::weak_ptr<tensor_impl> impl;
            std::uint64_t storage_id;
            std::uint64_t version;
        };

        // Which tensors an op's backward reads: every input (`all`, the default, for any
        // number of inputs), or a bit per input (bit i = input i, so at most inputs 0-63 can
        // be named one by one), and its output. Backward refuses to run a node one of whose
        // saved tensors was written to (or had its data replaced) after the forward; tensors
        // not saved may change freely.
        struct saves
        {
            std::uint64_t inputs = 0;
            bool all = true;
            bool output = false;

            static saves all_inputs() { return {}; }
            static saves nothing() { return {0, false, false}; }
            static saves only(std::initializer_list<std::size_t> indices, bool output = false);
            saves& and_output() { output = true; return *this; }
        };
    }

    class Node
    {
    public:
        Node(std::string name, std::vector<std::shared_ptr<Node>> next, std::vector<shape_t> input_shapes,
             backward_fn fn, std::vector<detail::saved_version> saved = {});
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

        // Anomaly mode (anomaly.hpp): the layer the forward ran in, kept for the backward's
        // message; empty when the mode was off during the forward.
        const std::string& forward_layer() const { return m_forward_layer; }
        void set_forward_layer(std::string path) { m_forward_layer = std::move(path); }

    private:
        friend struct engine_access;
        std::string m_name;
        std::vector<std::shared_ptr<Node>> m_next;
        std::vector<shape_t> m_input_shapes;
        backward_fn m_fn;
        std::vector<detail::saved_version> m_saved;
        std::shared_ptr<detail::tensor_impl> m_leaf;
        bool m_released = false;
        std::string m_forward_layer;
    };

    namespace detail
    {
        // Wraps an op's result: when grad mode is on and some input requires grad, the result
        // gets a Node named `name` whose backward is `fn`, remembering the versions of the
        // tensors `saved` names. Every differentiable op ends here.
        Tensor record(array result, const char* name, const tensor_list& inputs, backward_fn fn,
                      saves saved = saves::all_inputs());

        // The only way Nodes are made: a shared_ptr whose deleter frees chains of nodes one
        // after another instead of inside each other's destructors (no stack overflow).
        template <class... Args>
        std::shared_ptr<Node> make_node(Args&&... args);
        std::shared_ptr<Node> adopt_node(Node* node);

        // Throws std::logic_error naming the op and the tensor if one of the node's saved
        // tensors was modified in place after it was saved.
        void check_saved_versions(const std::string& op, const std::vector<saved_version>& saved);

        // The accumulate node of leaf t: one per leaf, shared while any graph still uses it.
        std::shared_ptr<Node> edge_to_leaf(const Tensor& t);

        // Throws std::invalid_argument if the defined tensors do not all share one dtype.
        void check_same_dtype(const char* op, const tensor_list& inputs);

        template <class... Args>
        std::shared_ptr<Node> make_node(Args&&... args)
        {
            return adopt_node(new Node(std::forward<Args>(args)...));
        }
    }
}
