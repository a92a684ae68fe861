// gradcheck_module: turns a module's parameters and the checked inputs into gradcheck
// variables, snapshots the module's state and writes it back on the way out.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/gradcheck_module.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // Copies every parameter and buffer value now and copies them back, in place, when it
        // goes out of scope (check_jacobians already restores each element it perturbs; this
        // also covers buffers a training-mode forward updates).
        class state_restore
        {
        public:
            explicit state_restore(const Module& module)
            {
                for (const auto& list : {module.parameters(), module.buffers()})
                {
                    for (const auto& t : list)
                    {
                        m_saved.emplace_back(t, Tensor(t.data().clone()));
                    }
                }
            }
            ~state_restore()
            {
                no_grad_guard off;
                for (auto& [live, copy] : m_saved)
                {
                    if (live.shape() == copy.shape() && live.dtype() == copy.dtype())
                    {
                        live.copy_(copy);
                    }
                }
            }
            state_restore(const state_restore&) = delete;
            state_restore& operator=(const state_restore&) = delete;

        private:
            std::vector<std::pair<Tensor, Tensor>> m_saved;
        };
    }

    gradcheck_result gradcheck_module(Module& module, const tensor_fn& forward, const tensor_list& inputs,
                                      const gradcheck_options& options)
    {
        if (!forward)
        {
            throw std::invalid_argument("gradcheck_module: expected a forward function, got an empty one");
        }
        std::vector<detail::gradcheck_variable> variables;
        for (const auto& [name, p] : module.named_parameters())
        {
            if (!p.requires_grad())
            {
                continue;   // frozen: not trained, so not checked
            }
            if (p.dtype() != float64)
            {
                throw std::invalid_argument(detail::str(
                    "gradcheck_module: the module's parameters must be float64 (float32 finite differences are too "
                    "coarse to prove anything), got ", dtype_name(p.dtype()), " for ", name,
                    "; call module.to(float64) first"));
            }
            variables.push_back({p, "parameter " + name, name});
        }
        tensor_list work = inputs;
        for (std::size_t i = 0; i < inputs.size(); ++i)
        {
            if (!inputs[i].defined() || !inputs[i].requires_grad())
            {
                continue;
            }
            if (inputs[i].dtype() != float64)
            {
                throw std::invalid_argument(detail::str(
                    "gradcheck_module: inputs that require grad must be float64, got ", dtype_name(inputs[i].dtype()),
                    " for input ", i, "; use .to(float64)"));
            }
            work[i] = Tensor(inputs[i].data().clone(), true);
            variables.push_back({work[i], detail::str("input ", i), detail::str("input", i)});
        }
        if (variables.empty())
        {
            throw std::invalid_argument(
                "gradcheck_module: expected a parameter or an input that requires grad, got none");
        }
        const state_restore restore(module);
        return detail::check_jacobians("gradcheck_module", [&] { return forward(work); }, variables, options);
    }
}
