// custom_op: the public way to add a differentiable op of your own — a forward that computes
// the result from the inputs' values, and a backward that turns the output's gradient into
// one gradient per input. The op joins the graph like a built-in one: it has a name
// (grad_fn()->name(), printing, errors), the in-place check guards the tensors its backward
// reads, and a backward written with differentiable ops supports double backward.
// Deliberately not here: several outputs per op, and ops that write into their inputs.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace adjoint
{
    // Which tensors the backward reads. Backward refuses to run (std::logic_error naming the
    // op) if one of them was modified in place after the forward; only those are kept alive
    // by the graph, and only those can be read through custom_op_context.
    class custom_op_options
    {
    public:
        // Default: every input is saved, the output is not.
        custom_op_options& save_inputs(std::vector<std::size_t> indices)
        {
            m_save_all_inputs = false;
            m_saved_inputs = std::move(indices);
            return *this;
        }
        custom_op_options& save_no_inputs() { return save_inputs({}); }
        custom_op_options& save_output(bool on = true) { m_save_output = on; return *this; }

        bool saves_all_inputs() const { return m_save_all_inputs; }
        const std::vector<std::size_t>& saved_inputs() const { return m_saved_inputs; }   // unless saves_all_inputs()
        bool saves_output() const { return m_save_output; }

    private:
        bool m_save_all_inputs = true;
        std::vector<std::size_t> m_saved_inputs;
        bool m_save_output = false;
    };

    // What a custom backward sees: the saved inputs (as they were passed, so a backward made
    // of differentiable ops is itself differentiated), the output, and which inputs want a
    // gradient. Reading a tensor that was not saved throws std::logic_error saying how to save it.
    class custom_op_context
    {
    public:
        const std::string& name() const { return *m_name; }
        std::size_t num_inputs() const { return m_shapes->size(); }
        bool needs_input_grad(std::size_t i) const;
        const shape_t& input_shape(std::size_t i) const;   // known for every input, saved or not
        const Tensor& input(std::size_t i) const;          // saved inputs only
        // The op's result (with save_output()). Under create_graph it is connected to this op,
        // so a backward that uses it is differentiated through the op again.
        Tensor output() const;

    private:
        friend struct custom_op_access;
        const std::string* m_name = nullptr;
        const tensor_list* m_inputs = nullptr;            // undefined where not saved
        const std::vector<shape_t>* m_shapes = nullptr;
        const std::vector<bool>* m_needs = nullptr;
        std::function<Tensor()> m_output;                 // empty unless the output is saved
    };

    // Runs with grad mode off on the inputs' values (detached), returns the result.
    using custom_forward_fn = std::function<Tensor(const tensor_list& inputs)>;
    // Returns one gradient per input, each of that input's shape and dtype; entries for which
    // ctx.needs_input_grad(i) is false may be left undefined (and should not be computed).
    using custom_backward_fn = std::function<tensor_list(const custom_op_context& ctx, const Tensor& grad_output)>;

    // The result of forward(inputs). When grad mode is on and some input requires grad, the
    // result gets a node named `name` whose backward calls `backward`; otherwise it is a plain
    // tensor and nothing is kept. Errors (std::invalid_argument now, std::logic_error during
    // backward for a gradient of the wrong count, shape or dtype) name the op.
    //
    //   Tensor cube(const Tensor& x)
    //   {
    //       return custom_op("cube", {x}, [](const tensor_list& in) { return in[0] * in[0] * in[0]; },
    //                        [](const custom_op_context& ctx, const Tensor& g) -> tensor_list {
    //                            const Tensor& x = ctx.input(0);
    //                            return {3.0 * g * x * x};
    //                        });
    //   }
    Tensor custom_op(const std::string& name, const tensor_list& inputs, const custom_forward_fn& forward,
                     custom_backward_fn backward, const custom_op_options& options = {});
}
