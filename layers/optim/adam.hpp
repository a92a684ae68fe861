// Adam and AdamW: PyTorch 1.13's update rules exactly (torch.optim.Adam / AdamW, single-tensor,
// non-capturable path), amsgrad and maximize included. Adam's weight decay is coupled (added to
// the gradient); AdamW's is decoupled (p *= 1 - lr * weight_decay before the Adam step).
#pragma once
#include <adjoint/layers/optim/optimizer.hpp>

namespace adjoint::optim
{
    // The options of both: AdamOptions(1e-3).betas({0.9, 0.999}).amsgrad(true). AdamW's
    // defaults differ only in weight_decay (1e-2), see AdamWOptions.
    class AdamOptions
    {
    public:
        explicit AdamOptions(double lr = 1e-3) : m_lr(lr) {}

        AdamOptions& lr(double v) { m_lr = v; return *this; }
        AdamOptions& betas(const std::pair<double, double>& v) { m_betas = v; return *this; }
        AdamOptions& eps(double v) { m_eps = v; return *this; }
        AdamOptions& weight_decay(double v) { m_weight_decay = v; return *this; }
        AdamOptions& amsgrad(bool v) { m_amsgrad = v; return *this; }
        AdamOptions& maximize(bool v) { m_maximize = v; return *this; }

        double lr() const { return m_lr; }
        const std::pair<double, double>& betas() const { return m_betas; }
        double eps() const { return m_eps; }
        double weight_decay() const { return m_weight_decay; }
        bool amsgrad() const { return m_amsgrad; }
        bool maximize() const { return m_maximize; }

        // torch's checks: lr, eps, weight_decay >= 0; 0 <= betas < 1.
        void validate(const char* op) const;
        template <class S, class F>
        static void fields(S& s, F&& f)
        {
            f("lr", s.m_lr);
            f("betas", s.m_betas);
            f("eps", s.m_eps);
            f("weight_decay", s.m_weight_decay);
            f("amsgrad", s.m_amsgrad);
            f("maximize", s.m_maximize);
        }

    protected:
        double m_lr;
        std::pair<double, double> m_betas{0.9, 0.999};
        double m_eps = 1e-8, m_weight_decay = 0.0;
        bool m_amsgrad = false, m_maximize = false;
    };

    class AdamWOptions : public AdamOptions
    {
    public:
        explicit AdamWOptions(double lr = 1e-3) : AdamOptions(lr) { m_weight_decay = 1e-2; }
    };

    // State per parameter: step, exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad).
    class Adam : public OptimizerWith<AdamOptions>
    {
    public:
        Adam(const tensor_list& params, const AdamOptions& options = AdamOptions())
            : Adam(std::vector<param_group>{{params, options}})
        {
        }
        explicit Adam(const std::vector<param_group>& groups) : Adam("Adam", groups) {}

        void step() override;
        bool has_momentum() const override { return true; }   // beta1
        double momentum(std::size_t group) const override { return options(group).betas().first; }
        void set_momentum(std::size_t group, double v) override;

    protected:
        Adam(std::string name, const std::vector<param_group>& groups) : OptimizerWith(std::move(name), groups) {}
        std::vector<std::string> state_keys(const AdamOptions& options) const override;
        virtual bool decoupled_weight_decay() const { return false; }
    };

    // Groups take AdamOptions too; AdamWOptions is AdamOptions with AdamW's default weight decay.
    class AdamW : public Adam
    {
    public:
        AdamW(const tensor_list& params, const AdamOptions& options = AdamWOptions())
            : AdamW(std::vector<param_group>{{params, options}})
        {
        }
        explicit AdamW(const std::vector<param_group>& groups) : Adam("AdamW", groups) {}

    protected:
        bool decoupled_weight_decay() const override { return true; }
    };
}
