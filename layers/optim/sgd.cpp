// SGD's update (see sgd.hpp), step by step as torch 1.13's _single_tensor_sgd:
//   d = ±grad (+ weight_decay * p);  buf = d on the first step, else momentum * buf + (1 - dampening) * d;
//   d = nesterov ? d + momentum * buf : buf;  p -= lr * d.
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/optim/sgd.hpp>

#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    void SGDOptions::validate(const char* op) const
    {
        if (!(m_lr >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid learning rate, expected lr >= 0, got ", m_lr));
        }
        if (!(m_momentum >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid momentum value, expected momentum >= 0, got ", m_momentum));
        }
        if (!(m_weight_decay >= 0.0))
        {
            throw std::invalid_argument(
                str(op, ": invalid weight_decay value, expected weight_decay >= 0, got ", m_weight_decay));
        }
        if (m_nesterov && (m_momentum <= 0.0 || m_dampening != 0.0))
        {
            throw std::invalid_argument(str(op, ": nesterov momentum requires a momentum and zero dampening, got momentum ",
                                            m_momentum, " and dampening ", m_dampening));
        }
    }

    std::vector<std::string> SGD::state_keys(const SGDOptions& o) const
    {
        return o.momentum() != 0.0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
    }

    void SGD::step()
    {
        no_grad_guard no_grad;
        for (std::size_t g = 0; g < num_param_groups(); ++g)
        {
            const SGDOptions& o = options(g);
            for (std::size_t i = 0; i < params(g).size(); ++i)
            {
                Tensor p = params(g)[i];
                Tensor d = p.grad();
                if (!d.defined())
                {
                    continue;
                }
                if (o.maximize())
                {
                    d = -d;
                }
                if (o.weight_decay() != 0.0)
                {
                    d = Tensor(d.data().clone()).add_(p, o.weight_decay());
                }
                if (o.momentum() != 0.0)
                {
                    param_state& s = state(g, i);
                    if (!s.has("momentum_buffer"))
                    {
                        s.add("momentum_buffer", Tensor(d.data().clone()));
                    }
                    else
                    {
                        s["momentum_buffer"].mul_(o.momentum()).add_(d, 1.0 - o.dampening());
                    }
                    Tensor& buf = s["momentum_buffer"];
                    d = o.nesterov() ? Tensor(d.data().clone()).add_(buf, o.momentum()) : buf;
                }
                p.add_(d, -o.lr());
            }
        }
    }
}
