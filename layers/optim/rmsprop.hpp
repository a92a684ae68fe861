// RMSprop with alpha, eps, weight decay, momentum, centered and maximize: PyTorch 1.13's update
// rule exactly (torch.optim.RMSprop, single-tensor path). eps is added after the square root.
#pragma once
#include <adjoint/layers/optim/optimizer.hpp>

namespace adjoint::optim
{
    // RMSpropOptions(1e-2).alpha(0.9).centered(true). Setters return *this; getters share the name.
    class RMSpropOptions
    {
    public:
        explicit RMSpropOptions(double lr = 1e-2) : m_lr(lr) {}

        RMSpropOptions& lr(double v) { m_lr = v; return *this; }
        RMSpropOptions& alpha(double v) { m_alpha = v; return *this; }
        RMSpropOptions& eps(double v) { m_eps = v; return *this; }
        RMSpropOptions& weight_decay(double v) { m_weight_decay = v; return *this; }
        RMSpropOptions& momentum(double v) { m_momentum = v; return *this; }
        RMSpropOptions& centered(bool v) { m_centered = v; return *this; }
        RMSpropOptions& maximize(bool v) { m_maximize = v; return *this; }

        double lr() const { return m_lr; }
        double alpha() const { return m_alpha; }
        double eps() const { return m_eps; }
        double weight_decay() const { return m_weight_decay; }
        double momentum() const { return m_momentum; }
        bool centered() const { return m_centered; }
        bool maximize() const { return m_maximize; }

        // torch's checks: lr, eps, momentum, weight_decay, alpha >= 0.
        void validate(const char* op) const;
        template <class S, class F>
        static void fields(S& s, F&& f)
        {
            f("lr", s.m_lr);
            f("alpha", s.m_alpha);
            f("eps", s.m_eps);
            f("weight_decay", s.m_weight_decay);
            f("momentum", s.m_momentum);
            f("centered", s.m_centered);
            f("maximize", s.m_maximize);
        }

    private:
        double m_lr, m_alpha = 0.99, m_eps = 1e-8, m_weight_decay = 0.0, m_momentum = 0.0;
        bool m_centered = false, m_maximize = false;
    };

    // State per parameter: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
    class RMSprop : public OptimizerWith<RMSpropOptions>
    {
    public:
        RMSprop(const tensor_list& params, const RMSpropOptions& options = RMSpropOptions())
            : RMSprop(std::vector<param_group>{{params, options}})
        {
        }
        explicit RMSprop(const std::vector<param_group>& groups) : OptimizerWith("RMSprop", groups) {}

        void step() override;
        bool has_momentum() const override { return true; }
        double momentum(std::size_t group) const override { return options(group).momentum(); }
        void set_momentum(std::size_t group, double v) override { options(group).momentum(v); }

    protected:
        std::vector<std::string> state_keys(const RMSpropOptions& options) const override;
    };
}
