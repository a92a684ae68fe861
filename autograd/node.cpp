// Node bookkeeping, grad mode, iterative graph destruction, saved-tensor versions, and
// `record`: the single place where an op's result is attached to the graph (see node.hpp).
#include <adjoint/autograd/anomaly.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>

#include <atomic>
#include <mutex>
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
               backward_fn fn, std::vector<detail::saved_version> saved)
        : m_name(std::move(name)), m_next(std::move(next)), m_input_shapes(std::move(input_shapes)),
          m_fn(std::move(fn)), m_saved(std::move(saved))
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
        saves saves::only(std::initializer_list<std::size_t> indices, bool output)
        {
            saves s{0, false, output};
            for (auto i : indices)
            {
                if (i >= 64)
                {
                    // A bit past 63 would be lost, and with it the in-place check of that input.
                    throw std::invalid_argument(str("saves::only: input ", i, " cannot be named one by one (at most "
                                                    "inputs 0-63); save all inputs instead"));
                }
                s.inputs |= std::uint64_t{1} << i;
            }
            return s;
        }

        namespace
        {
            // Freeing a node frees what it holds (its edges, the tensors its backward captured,
            // and through them their producers), which would recurse once per node of a long
            // chain. The deleter below instead queues every node freed while another is being
            // freed, and the outermost call deletes the queue in a loop.
            thread_local bool t_deleting = false;
            thread_local std::vector<Node*> t_pending;

            void delete_node(Node* node)
            {
                if (t_deleting)
                {
                    t_pending.push_back(node);
                    return;
                }
                t_deleting = true;
                delete node;
                while (!t_pending.empty())
                {
                    Node* next = t_pending.back();
                    t_pending.pop_back();
                    delete next;
                }
                t_deleting = false;
            }

            // Gradient accumulation into a leaf and the creation of its accumulate node may
            // happen in several threads at once when they share a parameter: one lock for both.
            std::recursive_mutex g_leaf_mutex;
        }

        std::shared_ptr<Node> adopt_node(Node* node) { return std::shared_ptr<Node>(node, delete_node); }

        std::recursive_mutex& leaf_mutex() { return g_leaf_mutex; }

        void check_saved_versions(const std::string& op, const std::vector<saved_version>& saved)
        {
            for (const auto& s : saved)
            {
                const auto impl = s.impl.lock();
                if (!impl)
                {
                    continue;   // nothing can write into a tensor that no longer exists
                }
                const std::string which = s.input == saved_version::output
                                              ? std::string("the output")
                                              : str("input ", s.input);
                if (impl->data.storage_id() != s.storage_id)
                {
                    throw std::logic_error(str("backward: ", which, " of '", op,
                                               "' had its data replaced after it was saved (by Tensor::mutable_data() "
                                               "assignment or Module::to()); run the forward pass again after the "
                                               "change"));
                }
                if (impl->data.version() != s.version)
                {
                    throw std::logic_error(str("backward: ", which, " of '", op,
                                               "' was modified in place after it was saved; update tensors in place "
                                               "only after backward(), or clone() them before writing"));
                }
            }
        }

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
            const std::lock_guard<std::recursive_mutex> lock(g_leaf_mutex);
            auto acc = t.impl()->grad_accumulator.lock();
            if (!acc)
            {
                acc = make_node(t.impl());
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

        Tensor record(array result, const char* name, const tensor_list& inputs, backward_fn fn, saves saved)
        {
            if (anomaly_enabled())
            {
                check_forward_anomaly(result, name, inputs);
            }
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
            std::vector<saved_version> versions;
            for (std::size_t i = 0; i < inputs.size(); ++i)
            {
                const Tensor& t = inputs[i];
                if (t.defined() && (saved.all || (i < 64 && ((saved.inputs >> i) & 1u))))
                {
                    versions.push_back({i, t.impl(), t.data().storage_id(), t.data().version()});
                }
            }
            if (saved.output)
            {
                versions.push_back({saved_version::output, out.impl(), out.data().storage_id(), out.data().version()});
            }
            out.impl()->requires_grad = true;
            out.impl()->grad_fn =
                make_node(name, std::move(next), std::move(shapes), std::move(fn), std::move(versions));
            if (anomaly_enabled())
            {
                out.impl()->grad_fn->set_forward_layer(current_layer_path());
            }
            return out;
        }
    }
}
