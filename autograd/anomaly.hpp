// Anomaly mode, as torch.autograd.detect_anomaly: while it is on, the first op whose result
// holds a NaN or an Inf — a forward result, or a gradient a node's backward returns — raises
// anomaly_error naming the op, the op that produced its input and, when the op ran inside a
// layer of a model, that layer's dotted path. Off by default; when off, each op pays one
// relaxed atomic load. The switch is process-wide (like PyTorch's), not per thread.
//
// It does not find where a NaN came from when an input already held one (the message says
// the input's producer, the place to look next), and it does not check int64 results.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace adjoint
{
    // The error anomaly mode raises. Layers pass it through unchanged (it already names the
    // layer), so `catch (const anomaly_error&)` works around a whole model.
    class anomaly_error : public std::runtime_error
    {
    public:
        using std::runtime_error::runtime_error;
    };

    void set_detect_anomaly(bool enabled);
    bool is_anomaly_enabled();

    // Turns anomaly mode on (or off) for a scope and restores the previous setting after it.
    class detect_anomaly_guard
    {
    public:
        explicit detect_anomaly_guard(bool enabled = true) : m_previous(is_anomaly_enabled())
        {
            set_detect_anomaly(enabled);
        }
        ~detect_anomaly_guard() { set_detect_anomaly(m_previous); }
        detect_anomaly_guard(const detect_anomaly_guard&) = delete;
        detect_anomaly_guard& operator=(const detect_anomaly_guard&) = delete;

    private:
        bool m_previous;
    };

    namespace detail
    {
        extern std::atomic<bool> g_detect_anomaly;
        // The whole cost of anomaly mode when it is off.
        inline bool anomaly_enabled() { return g_detect_anomaly.load(std::memory_order_relaxed); }

        // Who is running: layers install a function returning the innermost layer's dotted
        // path and type on this thread ("decoder.1 (Conv2d)", "" outside any layer), so
        // autograd can name layers without including them.
        using layer_path_fn = std::string (*)();
        void set_layer_path_provider(layer_path_fn provider);
        std::string current_layer_path();

        // The hooks in record() and the engine. A result of op `name` computed from `inputs`:
        // throws anomaly_error if it holds a NaN or an Inf. Skipped inside a backward function
        // (its returned gradients are checked instead, as a whole).
        void check_forward_anomaly(const array& result, const char* name, const tensor_list& inputs);
        // The gradients `grads` node `op` returned for its inputs (`producers[i]`: the node
        // that made input i, "" for a leaf; `forward_layer`: where the forward ran).
        void check_backward_anomaly(const std::string& op, const tensor_list& grads, const std::vector<bool>& needs,
                                    const std::vector<std::string>& producers, const std::string& forward_layer);

        // Marks the running of one node's backward function on this thread.
        class backward_anomaly_scope
        {
        public:
            backward_anomaly_scope();
            ~backward_anomaly_scope();
            backward_anomaly_scope(const backward_anomaly_scope&) = delete;
            backward_anomaly_scope& operator=(const backward_anomaly_scope&) = delete;
        };
    }
}
