// custom_op: runs the user's forward without recording, then attaches one node through
// detail::record whose backward builds a custom_op_context and checks what the user's
// backward returns (count, shape, dtype) before the engine sees it, naming the op.
#include <adjoint/autograd/custom_op.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>

#include <memory>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // What the node keeps of one call. It holds the node only weakly (the node owns this
        // through its backward function), and the output as an array, never as a Tensor.
        struct custom_op_state
        {
            std::string name;
            custom_backward_fn backward;
            tensor_list inputs;   // saved ones only; the others undefined
            std::vector<shape_t> shapes;
            std::vector<adjoint::dtype> dtypes;
            std::vector<bool> saved;
            bool saves_output = false;
            array output;
            std::weak_ptr<Node> node;
        };

        std::string plural(std::size_t n, const char* word) { return detail::str(n, " ", word, n == 1 ? "" : "s"); }
    }

    struct custom_op_access
    {
        static tensor_list run_backward(const std::shared_ptr<custom_op_state>& s, const Tensor& g,
                                        const std::vector<bool>& needs)
        {
            custom_op_context ctx;
            ctx.m_name = &s->name;
            ctx.m_inputs = &s->inputs;
            ctx.m_shapes = &s->shapes;
            ctx.m_needs = &needs;
            if (s->saves_output)
            {
                ctx.m_output = [s]() -> Tensor {
                    if (!is_grad_enabled())
                    {
                        return Tensor(s->output);
                    }
                    // Under create_graph the output must lead back to this node, as the real
                    // output does, so that what the backward computes from it is differentiated.
                    auto impl = std::make_shared<detail::tensor_impl>();
                    impl->data = s->output;
                    impl->requires_grad = true;
                    impl->grad_fn = s->node.lock();
                    return Tensor(impl);
                };
            }
            tensor_list grads = s->backward(ctx, g);
            if (grads.size() != s->shapes.size())
            {
                throw std::logic_error(detail::str(
                    "backward: custom op '", s->name, "' returned ", plural(grads.size(), "gradient"), ", expected ",
                    s->shapes.size(), " (one per input; leave an entry undefined where ctx.needs_input_grad(i) is "
                                      "false)"));
            }
            for (std::size_t i = 0; i < grads.size(); ++i)
            {
                if (!needs[i])
                {
                    grads[i] = Tensor();   // nobody reads it: do not let a wrong one through either
                    continue;
                }
                if (!grads[i].defined())
                {
                    throw std::logic_error(detail::str("backward: custom op '", s->name,
                                                       "' returned an undefined gradient for input ", i,
                                                       ", which needs one; return zeros of shape ",
                                                       shape_str(s->shapes[i]), " if it is zero"));
                }
                if (grads[i].shape() != s->shapes[i])
                {
                    throw std::logic_error(detail::str("backward: custom op '", s->name,
                                                       "' returned a gradient for input ", i, " of shape ",
                                                       shape_str(grads[i].shape()), ", expected ",
                                                       shape_str(s->shapes[i]), " (the input's shape)"));
                }
                if (grads[i].dtype() != s->dtypes[i])
                {
                    throw std::logic_error(detail::str("backward: custom op '", s->name,
                                                       "' returned a gradient for input ", i, " of dtype ",
                                                       dtype_name(grads[i].dtype()), ", expected ",
                                                       dtype_name(s->dtypes[i]), " (the input's dtype)"));
                }
            }
            return grads;
        }
    };

    bool custom_op_context::needs_input_grad(std::size_t i) const
    {
        return i < m_needs->size() && (*m_needs)[i];
    }

    const shape_t& custom_op_context::input_shape(std::size_t i) const
    {
        if (i >= m_shapes->size())
        {
            throw std::out_of_range(detail::str("custom op '", *m_name, "': input ", i, " does not exist, the op has ",
                                                plural(m_shapes->size(), "input")));
        }
        return (*m_shapes)[i];
    }

    const Tensor& custom_op_context::input(std::size_t i) const
    {
        input_shape(i);   // range check
        const Tensor& t = (*m_inputs)[i];
        if (!t.defined())
        {
            throw std::logic_error(detail::str("custom op '", *m_name, "': the backward reads input ", i,
                                               ", which was not saved; list it in custom_op_options().save_inputs(...)"));
        }
        return t;
    }

    Tensor custom_op_context::output() const
    {
        if (!m_output)
        {
            throw std::logic_error(detail::str("custom op '", *m_name,
                                               "': the backward reads the output, which was not saved; pass "
                                               "custom_op_options().save_output()"));
        }
        return m_output();
    }

    Tensor custom_op(const std::string& name, const tensor_list& inputs, const custom_forward_fn& forward,
                     custom_backward_fn backward, const custom_op_options& options)
    {
        if (name.empty())
        {
            throw std::invalid_argument("custom_op: expected a non-empty name, got \"\"");
        }
        if (!forward || !backward)
        {
            throw std::invalid_argument(detail::str("custom_op '", name, "': expected a forward and a backward function, got ",
                                                    forward ? "no backward" : "no forward"));
        }
        auto s = std::make_shared<custom_op_state>();
        s->saved.assign(inputs.size(), options.saves_all_inputs());
        for (auto i : options.saved_inputs())
        {
            if (i >= inputs.size())
            {
                throw std::invalid_argument(detail::str("custom_op '", name, "': save_inputs names input ", i,
                                                        ", but the op has ", plural(inputs.size(), "input")));
            }
            s->saved[i] = true;
        }
        detail::saves saves = detail::saves::nothing();
        saves.output = options.saves_output();
        for (std::size_t i = 0; i < inputs.size(); ++i)
        {
            if (s->saved[i] && inputs[i].defined())
            {
                if (i >= 64)
                {
                    throw std::invalid_argument(detail::str("custom_op '", name, "': at most 64 inputs can be saved, "
                                                            "got input ", i, "; save only the ones the backward reads"));
                }
                saves.inputs |= std::uint64_t{1} << i;
            }
        }

        Tensor result;
        {
            no_grad_guard off;
            tensor_list values;
            for (const auto& t : inputs)
            {
                values.push_back(t.defined() ? t.detach() : Tensor());
            }
            result = forward(values);
        }
        if (!result.defined())
        {
            throw std::invalid_argument(detail::str("custom_op '", name, "': forward returned an undefined tensor"));
        }
        array out = result.data();
        for (const auto& t : inputs)
        {
            if (t.defined() && t.data().storage_id() == out.storage_id())
            {
                out = out.clone();   // an output that aliases an input would share its version
                break;
            }
        }

        s->name = name;
        s->backward = std::move(backward);
        s->saves_output = options.saves_output();
        if (options.saves_output())
        {
            s->output = out;
        }
        for (std::size_t i = 0; i < inputs.size(); ++i)
        {
            s->inputs.push_back(s->saved[i] ? inputs[i] : Tensor());
            s->shapes.push_back(inputs[i].defined() ? inputs[i].shape() : shape_t{});
            s->dtypes.push_back(inputs[i].defined() ? inputs[i].dtype() : out.dtype());
        }
        Tensor y = detail::record(
            out, s->name.c_str(), inputs,
            [s](const Tensor& g, const std::vector<bool>& needs) { return custom_op_access::run_backward(s, g, needs); },
            saves);
        s->node = y.grad_fn();   // null when nothing was recorded; then s is dropped with the lambda
        return y;
    }
}
