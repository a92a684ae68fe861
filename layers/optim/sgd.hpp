// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize: PyTorch 1.13's
// update rule exactly (torch.optim.SGD, single-tensor path). The momentum buffer starts as a
// copy of the first (decayed) gradient, as torch's does.
#pragma once
#include <adjoint/layers/optim/optimizer.hpp>

namespace adjoint::optim
{
    // SGDOptions(0.01).momentum(0.9).nesterov(true). Setters return *this; getters share the name.
    class SGDOptions
    {
    public:
        explicit SGDOptions(double lr) : m_lr(lr) {}

        SGDOptions& lr(double v) { m_lr = v; return *this; }
        SGDOptions& momentum(double v) { m_momentum = v; return *this; }
        SGDOptions& dampening(double v) { m_dampening = v; return *this; }
        SGDOptions& weight_decay(double v) { m_weight_decay = v; return *this; }
        SGDOptions& nesterov(bool v) { m_nesterov = v; return *this; }
        SGDOptions& maximize(bool v) { m_maximize = v; return *this; }

        double lr() const { return m_lr; }
        double momentum() const { return m_momentum; }
        double dampening() const { return m_dampening; }
        double weight_decay() const { return m_weight_decay; }
        bool nesterov() const { return m_nesterov; }
        bool maximize() const { return m_maximize; }

        // torch's checks: lr, momentum, weight_decay >= 0; nesterov needs momentum > 0 and no dampening.
        void validate(const char* op) const;
        template <class S, class F>
        static void fields(S& s, F&& f)
        {
            f("lr", s.m_lr);
            f("momentum", s.m_momentum);
            f("dampening", s.m_dampening);
            f("weight_decay", s.m_weight_decay);
            f("nesterov", s.m_nesterov);
            f("maximize", s.m_maximize);
        }

    private:
        double m_lr, m_momentum = 0.0, m_dampening = 0.0, m_weight_decay = 0.0;
        bool m_nesterov = false, m_maximize = false;
    };

    // State per parameter: momentum_buffer (when momentum != 0).
    class SGD : public OptimizerWith<SGDOptions>
    {
    public:
        SGD(const tensor_list& params, const SGDOptions& options) : SGD(std::vector<param_group>{{params, options}}) {}
        explicit SGD(const std::vector<param_group>& groups) : OptimizerWith("SGD", groups) {}

        void step() override;
        bool has_momentum() const override { return true; }
        double momentum(std::size_t group) const override { return options(group).momentum(); }
        void set_momentum(std::size_t group, double v) override { options(group).momentum(v); }

    protected:
        std::vector<std::string> state_keys(const SGDOptions& options) const override;
    };
}
