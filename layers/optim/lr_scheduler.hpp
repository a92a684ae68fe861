// Learning-rate schedulers, as torch.optim.lr_scheduler (1.13) with last_epoch = -1: StepLR,
// MultiStepLR, ExponentialLR, CosineAnnealingLR (torch's recursive form, which compounds on the
// current lr so that schedulers chain), LinearLR, OneCycleLR (lr, and momentum / Adam's beta1)
// and ReduceLROnPlateau. A scheduler holds a reference to its optimizer, which must outlive it.
// As in torch, constructing one performs its first step (so lr becomes the epoch-0 value).
// Not here: LambdaLR, CyclicLR, warm restarts, step(epoch) and verbose.
#pragma once
#include <adjoint/layers/optim/optimizer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::optim
{
    class LRScheduler
    {
    public:
        virtual ~LRScheduler() = default;
        LRScheduler(const LRScheduler&) = delete;
        LRScheduler& operator=(const LRScheduler&) = delete;

        // Advances one epoch (or batch, for OneCycleLR) and writes each group's new lr.
        void step();
        const std::vector<double>& get_last_lr() const { return m_last_lr; }
        std::int64_t last_epoch() const { return m_last_epoch; }

        // The counters (last_epoch, step_count as int64 0-d; base_lrs, last_lr as float64 [groups]),
        // not the configuration, which comes from the constructor. load_state_dict checks every
        // key, shape and dtype first and changes nothing when it throws.
        named_tensors state_dict() const;
        void load_state_dict(const named_tensors& dict);

    protected:
        LRScheduler(Optimizer& optimizer, std::string name);
        // torch's _initial_step: derived constructors end with it.
        void initial_step() { step(); }
        // The lrs for m_last_epoch, from the optimizer's current ones (chainable form).
        virtual std::vector<double> get_lr() = 0;
        std::vector<double> current_lrs() const;
        std::size_t groups() const { return m_base_lrs.size(); }

        Optimizer& m_optimizer;
        std::string m_name;
        std::vector<double> m_base_lrs;
        std::int64_t m_last_epoch = -1;
        std::int64_t m_step_count = 0;
        std::vector<double> m_last_lr;
    };

    // lr *= gamma every step_size epochs.
    class StepLR : public LRScheduler
    {
    public:
        StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

    protected:
        std::vector<double> get_lr() override;

    private:
        std::int64_t m_step_size;
        double m_gamma;
    };

    // lr *= gamma at each milestone (a milestone listed k times multiplies by gamma^k).
    class MultiStepLR : public LRScheduler
    {
    public:
        MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);

    protected:
        std::vector<double> get_lr() override;

    private:
        std::vector<std::int64_t> m_milestones;
        double m_gamma;
    };

    // lr *= gamma every epoch.
    class ExponentialLR : public LRScheduler
    {
    public:
        ExponentialLR(Optimizer& optimizer, double gamma);

    protected:
        std::vector<double> get_lr() override;

    private:
        double m_gamma;
    };

    // Cosine from the base lr down to eta_min over T_max epochs, then back up (period 2 T_max).
    class CosineAnnealingLR : public LRScheduler
    {
    public:
        CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);

    protected:
        std::vector<double> get_lr() override;

    private:
        std::int64_t m_t_max;
        double m_eta_min;
    };

    // The lr's factor goes linearly from start_factor to end_factor over total_iters epochs.
    class LinearLR : public LRScheduler
    {
    public:
        LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                 std::int64_t total_iters = 5);

    protected:
        std::vector<double> get_lr() override;

    private:
        double m_start_factor, m_end_factor;
        std::int64_t m_total_iters;
    };

    // OneCycleLROptions(0.1).total_steps(1000) or .epochs(10).steps_per_epoch(100). max_lr is
    // one value for every group or one per group; so are base_momentum and max_momentum.
    class OneCycleLROptions
    {
    public:
        OneCycleLROptions(double max_lr) : m_max_lr{max_lr} {}
        OneCycleLROptions(std::vector<double> max_lr) : m_max_lr(std::move(max_lr)) {}

        OneCycleLROptions& total_steps(std::int64_t v) { m_total_steps = v; return *this; }
        OneCycleLROptions& epochs(std::int64_t v) { m_epochs = v; return *this; }
        OneCycleLROptions& steps_per_epoch(std::int64_t v) { m_steps_per_epoch = v; return *this; }
        OneCycleLROptions& pct_start(double v) { m_pct_start = v; return *this; }
        OneCycleLROptions& anneal_strategy(const std::string& v) { m_anneal_strategy = v; return *this; }   // "cos", "linear"
        OneCycleLROptions& cycle_momentum(bool v) { m_cycle_momentum = v; return *this; }
        OneCycleLROptions& base_momentum(std::vector<double> v) { m_base_momentum = std::move(v); return *this; }
        OneCycleLROptions& base_momentum(double v) { m_base_momentum = {v}; return *this; }
        OneCycleLROptions& max_momentum(std::vector<double> v) { m_max_momentum = std::move(v); return *this; }
        OneCycleLROptions& max_momentum(double v) { m_max_momentum = {v}; return *this; }
        OneCycleLROptions& div_factor(double v) { m_div_factor = v; return *this; }
        OneCycleLROptions& final_div_factor(double v) { m_final_div_factor = v; return *this; }
        OneCycleLROptions& three_phase(bool v) { m_three_phase = v; return *this; }

        const std::vector<double>& max_lr() const { return m_max_lr; }
        std::int64_t total_steps() const { return m_total_steps; }         // 0: not given
        std::int64_t epochs() const { return m_epochs; }                   // 0: not given
        std::int64_t steps_per_epoch() const { return m_steps_per_epoch; } // 0: not given
        double pct_start() const { return m_pct_start; }
        const std::string& anneal_strategy() const { return m_anneal_strategy; }
        bool cycle_momentum() const { return m_cycle_momentum; }
        const std::vector<double>& base_momentum() const { return m_base_momentum; }
        const std::vector<double>& max_momentum() const { return m_max_momentum; }
        double div_factor() const { return m_div_factor; }
        double final_div_factor() const { return m_final_div_factor; }
        bool three_phase() const { return m_three_phase; }

    private:
        std::vector<double> m_max_lr;
        std::int64_t m_total_steps = 0, m_epochs = 0, m_steps_per_epoch = 0;
        double m_pct_start = 0.3;
        std::string m_anneal_strategy = "cos";
        bool m_cycle_momentum = true;
        std::vector<double> m_base_momentum{0.85}, m_max_momentum{0.95};
        double m_div_factor = 25.0, m_final_div_factor = 1e4;
        bool m_three_phase = false;
    };

    // Warm-up from max_lr / div_factor to max_lr, then annealing to initial / final_div_factor
    // (three_phase: back to the initial lr first), stepped once per batch; momentum moves the
    // opposite way. Stepping past total_steps is an error, as in torch.
    class OneCycleLR : public LRScheduler
    {
    public:
        OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& options);
        std::int64_t total_steps() const { return m_total_steps; }

    protected:
        std::vector<double> get_lr() override;

    private:
        struct phase
        {
            double end_step;
            int start_lr, end_lr, start_momentum, end_momentum;   // indices into a group's anchors
        };
        double anneal(double start, double end, double pct) const;
        OneCycleLROptions m_options;
        std::int64_t m_total_steps;
        std::vector<phase> m_phases;
        // Per group: {initial_lr, max_lr, min_lr} and {max_momentum, base_momentum}.
        std::vector<std::vector<double>> m_lr_anchors, m_momentum_anchors;
    };

    // ReduceLROnPlateauOptions().mode("max").patience(5); setters return *this.
    class ReduceLROnPlateauOptions
    {
    public:
        ReduceLROnPlateauOptions& mode(const std::string& v) { m_mode = v; return *this; }   // "min", "max"
        ReduceLROnPlateauOptions& factor(double v) { m_factor = v; return *this; }
        ReduceLROnPlateauOptions& patience(std::int64_t v) { m_patience = v; return *this; }
        ReduceLROnPlateauOptions& threshold(double v) { m_threshold = v; return *this; }
        ReduceLROnPlateauOptions& threshold_mode(const std::string& v) { m_threshold_mode = v; return *this; }   // "rel", "abs"
        ReduceLROnPlateauOptions& cooldown(std::int64_t v) { m_cooldown = v; return *this; }
        ReduceLROnPlateauOptions& min_lr(double v) { m_min_lr = {v}; return *this; }
        ReduceLROnPlateauOptions& min_lr(std::vector<double> v) { m_min_lr = std::move(v); return *this; }   // one per group
        ReduceLROnPlateauOptions& eps(double v) { m_eps = v; return *this; }

        const std::string& mode() const { return m_mode; }
        double factor() const { return m_factor; }
        std::int64_t patience() const { return m_patience; }
        double threshold() const { return m_threshold; }
        const std::string& threshold_mode() const { return m_threshold_mode; }
        std::int64_t cooldown() const { return m_cooldown; }
        const std::vector<double>& min_lr() const { return m_min_lr; }
        double eps() const { return m_eps; }

    private:
        std::string m_mode = "min", m_threshold_mode = "rel";
        double m_factor = 0.1;
        std::int64_t m_patience = 10;
        double m_threshold = 1e-4;
        std::int64_t m_cooldown = 0;
        std::vector<double> m_min_lr{0.0};
        double m_eps = 1e-8;
    };

    // Multiplies each group's lr by factor (not below its min_lr; changes smaller than eps are
    // skipped) once the metric has not improved for more than `patience` steps, then waits
    // `cooldown` steps. Its own class, as in torch: step takes the metric and does not chain.
    class ReduceLROnPlateau
    {
    public:
        explicit ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
        ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
        ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

        void step(double metric);
        const std::vector<double>& get_last_lr() const { return m_last_lr; }
        std::int64_t last_epoch() const { return m_last_epoch; }
        double best() const { return m_best; }
        std::int64_t num_bad_epochs() const { return m_num_bad_epochs; }

        // last_epoch, num_bad_epochs, cooldown_counter (int64 0-d), best (float64 0-d),
        // last_lr (float64 [groups]); load_state_dict validates first, as LRScheduler's.
        named_tensors state_dict() const;
        void load_state_dict(const named_tensors& dict);

    private:
        bool is_better(double a, double best) const;
        Optimizer& m_optimizer;
        ReduceLROnPlateauOptions m_options;
        std::vector<double> m_min_lrs;
        double m_best;
        std::int64_t m_num_bad_epochs = 0, m_cooldown_counter = 0, m_last_epoch = 0;
        std::vector<double> m_last_lr;
    };
}
