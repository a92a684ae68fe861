// Adam's and AdamW's update (see adam.hpp), as torch 1.13's _single_tensor_adam / _adamw:
//   g = ±grad;  AdamW: p *= 1 - lr * wd;  Adam: g += wd * p;  step += 1
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;  amsgrad: vmax = max(vmax, v)
//   denom = sqrt(v or vmax) / sqrt(1 - beta2^step) + eps;  p -= (lr / (1 - beta1^step)) * m / denom
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/optim/adam.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    void AdamOptions::validate(const char* op) const
    {
        if (!(m_lr >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid learning rate, expected lr >= 0, got ", m_lr));
        }
        if (!(m_eps >= 0.0))
        {
            throw std::invalid_argument(str(op, ": invalid epsilon value, expected eps >= 0, got ", m_eps));
        }
        if (!(m_betas.first >= 0.0 && m_betas.first < 1.0))
        {
            throw std::invalid_argument(str(op, ": invalid beta parameter at index 0, expected 0 <= betas[0] < 1, got ",
                                            m_betas.first));
        }
        if (!(m_betas.second >= 0.0 && m_betas.second < 1.0))
        {
            throw std::invalid_argument(str(op, ": invalid beta parameter at index 1, expected 0 <= betas[1] < 1, got ",
                                            m_betas.second));
        }
        if (!(m_weight_decay >= 0.0))
        {
            throw std::invalid_argument(
                str(op, ": invalid weight_decay value, expected weight_decay >= 0, got ", m_weight_decay));
        }
    }

    void Adam::set_momentum(std::size_t group, double v)
    {
        AdamOptions& o = options(group);
        o.betas({v, o.betas().second});
    }

    std::vector<std::string> Adam::state_keys(const AdamOptions& o) const
    {
        std::vector<std::string> keys{"step", "exp_avg", "exp_avg_sq"};
        if (o.amsgrad())
        {
            keys.push_back("max_exp_avg_sq");
        }
        return keys;
    }

    void Adam::step()
    {
        no_grad_guard no_grad;
        const bool decoupled = decoupled_weight_decay();
        for (std::size_t g = 0; g < num_param_groups(); ++g)
        {
            const AdamOptions& o = options(g);
            const auto [beta1, beta2] = o.betas();
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
                    s.add("exp_avg", zeros_like(p));
                    s.add("exp_avg_sq", zeros_like(p));
                }
                if (o.amsgrad() && !s.has("max_exp_avg_sq"))
                {
                    s.add("max_exp_avg_sq", zeros_like(p));
                }
                if (o.maximize())
                {
                    grad = -grad;
                }
                if (decoupled)
                {
                    p.mul_(1.0 - o.lr() * o.weight_decay());
                }
                else if (o.weight_decay() != 0.0)
                {
                    grad = Tensor(grad.data().clone()).add_(p, o.weight_decay());
                }
                const double step = static_cast<double>(s.next_step());
                Tensor& exp_avg = s["exp_avg"];
                Tensor& exp_avg_sq = s["exp_avg_sq"];
                exp_avg.mul_(beta1).add_(grad, 1.0 - beta1);
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
                const double bias_correction1 = 1.0 - std::pow(beta1, step);
                const double bias_correction2 = 1.0 - std::pow(beta2, step);
                const double step_size = o.lr() / bias_correction1;
                Tensor second = exp_avg_sq;
                if (o.amsgrad())
                {
                    Tensor& max_sq = s["max_exp_avg_sq"];
                    max_sq.copy_(maximum(max_sq, exp_avg_sq));
                    second = max_sq;
                }
                const Tensor denom = sqrt(second) / std::sqrt(bias_correction2) + o.eps();
                p.addcdiv_(exp_avg, denom, -step_size);
            }
        }
    }
}
