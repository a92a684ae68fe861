// RMSprop's update (see rmsprop.hpp), as torch 1.13's _single_tensor_rmsprop:
//   g = ±grad (+ wd * p);  sq = alpha * sq + (1 - alpha) * g * g
//   centered: ga = alpha * ga + (1 - alpha) * g, avg = sqrt(sq - ga * ga) + eps;  else avg = sqrt(sq) + eps
//   momentum > 0: buf = momentum * buf + g / avg, p -= lr * buf;  else p -= lr * g / avg
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/optim/rmsprop.hpp>

#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    void RMSpropOptions::validate(const char* op) const
    {
        if (!(m_lr >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid learning rate, expected lr >= 0, got ", m_lr));
        }
        if (!(m_eps >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid epsilon value, expected eps >= 0, got ", m_eps));
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
        if (!(m_alpha >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid alpha value, expected alpha >= 0, got ", m_alpha));
        }
    }

    std::vector<std::string> RMSprop::state_keys(const RMSpropOptions& o) const
    {
        std::vector<std::string> keys{"step", "square_avg"};
        if (o.momentum() > 0.0)
        {
            keys.push_back("momentum_buffer");
        }
        if (o.centered())
        {
            keys.push_back("grad_avg");
        }
        return keys;
    }

    void RMSprop::step()
    {
        no_grad_guard no_grad;
        for (std::size_t g = 0; g < num_param_groups(); ++g)
        {
            const RMSpropOptions& o = options(g);
            for (std::size_t i = 0; i < params(g).size(); ++i)
            {
                Tensor p = params(g)[i];
                Tensor grad = p.grad();
                if (!grad.defined())
                {
                    continue;
                }
                param_state& s = state(g, i);
                if (s.empty())
                {
                    s.add("step", scalar(0.0, adjoint::int64));
                    s.add("square_avg", zeros_like(p));
                }
                // Buffers an option switched on later (a scheduler cycling momentum) start at zero.
                if (o.momentum() > 0.0 && !s.has("momentum_buffer"))
                {
                    s.add("momentum_buffer", zeros_like(p));
                }
                if (o.centered() && !s.has("grad_avg"))
                {
                    s.add("grad_avg", zeros_like(p));
                }
                s.next_step();
                if (o.maximize())
                {
                    grad = -grad;
                }
                if (o.weight_decay() != 0.0)
                {
                    grad = Tensor(grad.data().clone()).add_(p, o.weight_decay());
                }
                Tensor& square_avg = s["square_avg"];
                square_avg.mul_(o.alpha()).addcmul_(grad, grad, 1.0 - o.alpha());
                Tensor avg;
                if (o.centered())
                {
                    Tensor& grad_avg = s["grad_avg"];
                    grad_avg.mul_(o.alpha()).add_(grad, 1.0 - o.alpha());
                    avg = sqrt(Tensor(square_avg.data().clone()).addcmul_(grad_avg, grad_avg, -1.0)) + o.eps();
                }
                else
                {
                    avg = sqrt(square_avg) + o.eps();
                }
                if (o.momentum() > 0.0)
                {
                    Tensor& buf = s["momentum_buffer"];
                    buf.mul_(o.momentum()).addcdiv_(grad, avg);
                    p.add_(buf, -o.lr());
                }
                else
                {
                    p.addcdiv_(grad, avg, -o.lr());
                }
            }
        }
    }
}
