// Learning-rate schedulers (see lr_scheduler.hpp): each get_lr() is torch 1.13's chainable
// formula, computed from the optimizer's current lrs in the same order of operations.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/layers/optim/lr_scheduler.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    namespace
    {
        const double pi = std::acos(-1.0);

        Tensor vector_tensor(const std::vector<double>& v)
        {
            return from_vector(v, {static_cast<std::int64_t>(v.size())}, float64);
        }

        // Reads a scheduler's state dict against the keys it expects: every problem is collected
        // and thrown together by finish(), before the caller changes anything.
        class state_reader
        {
        public:
            state_reader(const char* name, const named_tensors& dict) : m_name(name)
            {
                for (const auto& [key, value] : dict)
                {
                    if (!value.defined())
                    {
                        m_problems.push_back(key + ": the tensor is undefined");
                    }
                    else if (!m_dict.emplace(key, value).second)
                    {
                        m_problems.push_back(key + ": appears twice");
                    }
                }
            }

            std::int64_t count(const std::string& key)
            {
                const Tensor* t = find(key);
                if (t && (t->dtype() != adjoint::int64 || t->dim() != 0))
                {
                    m_problems.push_back(str(key, ": expected a 0-d int64 tensor, got ", describe(*t)));
                    return 0;
                }
                return t ? static_cast<std::int64_t>(t->item()) : 0;
            }

            double value(const std::string& key)
            {
                const Tensor* t = find(key);
                if (t && (t->dtype() != float64 || t->dim() != 0))
                {
                    m_problems.push_back(str(key, ": expected a 0-d float64 tensor, got ", describe(*t)));
                    return 0.0;
                }
                return t ? t->item() : 0.0;
            }

            std::vector<double> values(const std::string& key, std::size_t n)
            {
                const Tensor* t = find(key);
                if (t && (t->dtype() != float64 || t->shape() != shape_t{static_cast<std::int64_t>(n)}))
                {
                    m_problems.push_back(str(key, ": expected a float64 tensor of shape ",
                                             shape_str({static_cast<std::int64_t>(n)}),
                                             " (one value per parameter group), got ", describe(*t)));
                    return std::vector<double>(n);
                }
                return t ? t->to_vector() : std::vector<double>(n);
            }

            void finish()
            {
                std::vector<std::string> unexpected, problems;
                for (const auto& [key, value] : m_dict)
                {
                    if (m_used.count(key) == 0)
                    {
                        unexpected.push_back(key);
                    }
                }
                if (!m_missing.empty())
                {
                    problems.push_back("missing keys: " + join(m_missing));
                }
                if (!unexpected.empty())
                {
                    problems.push_back("unexpected keys: " + join(unexpected));
                }
                problems.insert(problems.end(), m_problems.begin(), m_problems.end());
                if (!problems.empty())
                {
                    throw std::invalid_argument(str(m_name, ".load_state_dict: the state dict does not fit this scheduler: ",
                                                    join(problems, "; ")));
                }
            }

        private:
            static std::string describe(const Tensor& t) { return str(shape_str(t.shape()), " ", dtype_name(t.dtype())); }
            static std::string join(const std::vector<std::string>& items, const char* sep = ", ")
            {
                std::string out;
                for (std::size_t i = 0; i < items.size(); ++i)
                {
                    out += (i ? sep : "") + items[i];
                }
                return out;
            }
            const Tensor* find(const std::string& key)
            {
                auto it = m_dict.find(key);
                if (it == m_dict.end())
                {
                    m_missing.push_back(key);
                    return nullptr;
                }
                m_used.insert(key);
                return &it->second;
            }
            std::string m_name;
            std::map<std::string, Tensor> m_dict;
            std::set<std::string> m_used;
            std::vector<std::string> m_missing, m_problems;
        };

        // One value per group: a single value repeats, as torch's _format_param.
        std::vector<double> per_group(const char* op, const char* what, const std::vector<double>& v, std::size_t n)
        {
            if (v.size() == 1)
            {
                return std::vector<double>(n, v[0]);
            }
            if (v.size() != n)
            {
                throw std::invalid_argument(
                    str(op, ": expected 1 or ", n, " values for ", what, " (one per parameter group), got ", v.size()));
            }
            return v;
        }
    }

    // ---- LRScheduler ----

    LRScheduler::LRScheduler(Optimizer& optimizer, std::string name) : m_optimizer(optimizer), m_name(std::move(name))
    {
        m_base_lrs = current_lrs();
    }

    std::vector<double> LRScheduler::current_lrs() const
    {
        std::vector<double> lrs;
        for (std::size_t g = 0; g < m_optimizer.num_param_groups(); ++g)
        {
            lrs.push_back(m_optimizer.lr(g));
        }
        return lrs;
    }

    void LRScheduler::step()
    {
        ++m_step_count;
        ++m_last_epoch;
        const std::vector<double> lrs = get_lr();
        for (std::size_t g = 0; g < lrs.size(); ++g)
        {
            m_optimizer.set_lr(g, lrs[g]);
        }
        m_last_lr = current_lrs();
    }

    named_tensors LRScheduler::state_dict() const
    {
        return {{"last_epoch", scalar(static_cast<double>(m_last_epoch), adjoint::int64)},
                {"step_count", scalar(static_cast<double>(m_step_count), adjoint::int64)},
                {"base_lrs", vector_tensor(m_base_lrs)},
                {"last_lr", vector_tensor(m_last_lr)}};
    }

    void LRScheduler::load_state_dict(const named_tensors& dict)
    {
        state_reader in(m_name.c_str(), dict);
        const std::int64_t last_epoch = in.count("last_epoch");
        const std::int64_t step_count = in.count("step_count");
        std::vector<double> base_lrs = in.values("base_lrs", groups());
        std::vector<double> last_lr = in.values("last_lr", groups());
        in.finish();
        m_last_epoch = last_epoch;
        m_step_count = step_count;
        m_base_lrs = std::move(base_lrs);
        m_last_lr = std::move(last_lr);
    }

    // ---- StepLR, MultiStepLR, ExponentialLR ----

    StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
        : LRScheduler(optimizer, "StepLR"), m_step_size(step_size), m_gamma(gamma)
    {
        if (step_size <= 0)
        {
            throw std::invalid_argument(str("StepLR: expected step_size > 0, got ", step_size));
        }
        initial_step();
    }

    std::vector<double> StepLR::get_lr()
    {
        std::vector<double> lrs = current_lrs();
        if (m_last_epoch != 0 && m_last_epoch % m_step_size == 0)
        {
            for (double& lr : lrs)
            {
                lr *= m_gamma;
            }
        }
        return lrs;
    }

    MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
        : LRScheduler(optimizer, "MultiStepLR"), m_milestones(std::move(milestones)), m_gamma(gamma)
    {
        initial_step();
    }

    std::vector<double> MultiStepLR::get_lr()
    {
        std::vector<double> lrs = current_lrs();
        const auto hits = std::count(m_milestones.begin(), m_milestones.end(), m_last_epoch);
        if (hits > 0)
        {
            const double factor = std::pow(m_gamma, static_cast<double>(hits));
            for (double& lr : lrs)
            {
                lr *= factor;
            }
        }
        return lrs;
    }

    ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer, "ExponentialLR"), m_gamma(gamma)
    {
        initial_step();
    }

    std::vector<double> ExponentialLR::get_lr()
    {
        std::vector<double> lrs = current_lrs();
        if (m_last_epoch != 0)
        {
            for (double& lr : lrs)
            {
                lr *= m_gamma;
            }
        }
        return lrs;
    }

    // ---- CosineAnnealingLR, LinearLR ----

    CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
        : LRScheduler(optimizer, "CosineAnnealingLR"), m_t_max(T_max), m_eta_min(eta_min)
    {
        if (T_max <= 0)
        {
            throw std::invalid_argument(str("CosineAnnealingLR: expected T_max > 0, got ", T_max));
        }
        initial_step();
    }

    std::vector<double> CosineAnnealingLR::get_lr()
    {
        std::vector<double> lrs = current_lrs();
        if (m_last_epoch == 0)
        {
            return lrs;
        }
        const double t_max = static_cast<double>(m_t_max);
        const double e = static_cast<double>(m_last_epoch);
        for (std::size_t g = 0; g < lrs.size(); ++g)
        {
            if ((m_last_epoch - 1 - m_t_max) % (2 * m_t_max) == 0)
            {
                // The step out of the minimum, where the ratio below would divide by zero.
                lrs[g] = lrs[g] + (m_base_lrs[g] - m_eta_min) * (1 - std::cos(pi / t_max)) / 2;
            }
            else
            {
                lrs[g] = (1 + std::cos(pi * e / t_max)) / (1 + std::cos(pi * (e - 1) / t_max)) * (lrs[g] - m_eta_min) +
                         m_eta_min;
            }
        }
        return lrs;
    }

    LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
        : LRScheduler(optimizer, "LinearLR"), m_start_factor(start_factor), m_end_factor(end_factor),
          m_total_iters(total_iters)
    {
        if (start_factor > 1.0 || start_factor < 0.0)
        {
            throw std::invalid_argument(
                str("LinearLR: expected a starting multiplicative factor between 0 and 1, got ", start_factor));
        }
        if (end_factor > 1.0 || end_factor < 0.0)
        {
            throw std::invalid_argument(
                str("LinearLR: expected an ending multiplicative factor between 0 and 1, got ", end_factor));
        }
        initial_step();
    }

    std::vector<double> LinearLR::get_lr()
    {
        std::vector<double> lrs = current_lrs();
        if (m_last_epoch > m_total_iters)
        {
            return lrs;
        }
        for (double& lr : lrs)
        {
            if (m_last_epoch == 0)
            {
                lr = lr * m_start_factor;
            }
            else
            {
                lr = lr * (1. + (m_end_factor - m_start_factor) /
                                    (static_cast<double>(m_total_iters) * m_start_factor +
                                     static_cast<double>(m_last_epoch - 1) * (m_end_factor - m_start_factor)));
            }
        }
        return lrs;
    }

    // ---- OneCycleLR ----

    OneCycleLR::OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& o)
        : LRScheduler(optimizer, "OneCycleLR"), m_options(o)
    {
        const char* op = "OneCycleLR";
        if (o.total_steps() == 0 && o.epochs() == 0 && o.steps_per_epoch() == 0)
        {
            throw std::invalid_argument(str(op, ": define either total_steps or both epochs and steps_per_epoch"));
        }
        if (o.total_steps() != 0)
        {
            if (o.total_steps() < 0)
            {
                throw std::invalid_argument(str(op, ": expected a positive total_steps, got ", o.total_steps()));
            }
            m_total_steps = o.total_steps();
        }
        else
        {
            if (o.epochs() <= 0)
            {
                throw std::invalid_argument(str(op, ": expected a positive epochs, got ", o.epochs()));
            }
            if (o.steps_per_epoch() <= 0)
            {
                throw std::invalid_argument(str(op, ": expected a positive steps_per_epoch, got ", o.steps_per_epoch()));
            }
            m_total_steps = o.epochs() * o.steps_per_epoch();
        }
        const double total = static_cast<double>(m_total_steps);
        enum { initial_lr, max_lr, min_lr };
        enum { max_momentum, base_momentum };
        if (o.three_phase())
        {
            m_phases = {{o.pct_start() * total - 1, initial_lr, max_lr, max_momentum, base_momentum},
                        {2 * o.pct_start() * total - 2, max_lr, initial_lr, base_momentum, max_momentum},
                        {total - 1, initial_lr, min_lr, max_momentum, max_momentum}};
        }
        else
        {
            m_phases = {{o.pct_start() * total - 1, initial_lr, max_lr, max_momentum, base_momentum},
                        {total - 1, max_lr, min_lr, base_momentum, max_momentum}};
        }
        if (!(o.pct_start() >= 0.0 && o.pct_start() <= 1.0))
        {
            throw std::invalid_argument(str(op, ": expected pct_start between 0 and 1, got ", o.pct_start()));
        }
        if (o.anneal_strategy() != "cos" && o.anneal_strategy() != "linear")
        {
            throw std::invalid_argument(
                str(op, ": expected anneal_strategy 'cos' or 'linear', got '", o.anneal_strategy(), "'"));
        }
        const std::vector<double> max_lrs = per_group(op, "max_lr", o.max_lr(), groups());
        for (std::size_t g = 0; g < groups(); ++g)
        {
            const double initial = max_lrs[g] / o.div_factor();
            m_lr_anchors.push_back({initial, max_lrs[g], initial / o.final_div_factor()});
        }
        if (o.cycle_momentum())
        {
            if (!optimizer.has_momentum())
            {
                throw std::invalid_argument(
                    str(op, ": the optimizer (", optimizer.name(), ") has no momentum to cycle; pass cycle_momentum(false)"));
            }
            const std::vector<double> maxes = per_group(op, "max_momentum", o.max_momentum(), groups());
            const std::vector<double> bases = per_group(op, "base_momentum", o.base_momentum(), groups());
            for (std::size_t g = 0; g < groups(); ++g)
            {
                m_momentum_anchors.push_back({maxes[g], bases[g]});
                optimizer.set_momentum(g, maxes[g]);
            }
        }
        for (std::size_t g = 0; g < groups(); ++g)
        {
            m_base_lrs[g] = m_lr_anchors[g][initial_lr];   // torch's group['initial_lr']
        }
        initial_step();
    }

    double OneCycleLR::anneal(double start, double end, double pct) const
    {
        if (m_options.anneal_strategy() == "cos")
        {
            const double cos_out = std::cos(pi * pct) + 1;
            return end + (start - end) / 2.0 * cos_out;
        }
        return (end - start) * pct + start;
    }

    std::vector<double> OneCycleLR::get_lr()
    {
        if (m_last_epoch > m_total_steps)
        {
            const std::int64_t tried = m_last_epoch + 1;
            --m_last_epoch;   // the failed step does not count
            --m_step_count;
            throw std::logic_error(str("OneCycleLR: tried to step ", tried, " times; the specified number of total steps is ",
                                       m_total_steps));
        }
        const double step_num = static_cast<double>(m_last_epoch);
        std::vector<double> lrs;
        for (std::size_t g = 0; g < groups(); ++g)
        {
            double start_step = 0.0;
            for (std::size_t i = 0; i < m_phases.size(); ++i)
            {
                const phase& ph = m_phases[i];
                if (step_num <= ph.end_step || i == m_phases.size() - 1)
                {
                    const double pct = (step_num - start_step) / (ph.end_step - start_step);
                    lrs.push_back(anneal(m_lr_anchors[g][ph.start_lr], m_lr_anchors[g][ph.end_lr], pct));
                    if (m_options.cycle_momentum())
                    {
                        m_optimizer.set_momentum(g, anneal(m_momentum_anchors[g][ph.start_momentum],
                                                           m_momentum_anchors[g][ph.end_momentum], pct));
                    }
                    break;
                }
                start_step = ph.end_step;
            }
        }
        return lrs;
    }

    // ---- ReduceLROnPlateau ----

    ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
        : m_optimizer(optimizer), m_options(o)
    {
        const char* op = "ReduceLROnPlateau";
        if (!(o.factor() < 1.0))
        {
            throw std::invalid_argument(str(op, ": expected factor < 1, got ", o.factor()));
        }
        if (o.mode() != "min" && o.mode() != "max")
        {
            throw std::invalid_argument(str(op, ": expected mode 'min' or 'max', got '", o.mode(), "'"));
        }
        if (o.threshold_mode() != "rel" && o.threshold_mode() != "abs")
        {
            throw std::invalid_argument(
                str(op, ": expected threshold_mode 'rel' or 'abs', got '", o.threshold_mode(), "'"));
        }
        m_min_lrs = per_group(op, "min_lr", o.min_lr(), optimizer.num_param_groups());
        m_best = o.mode() == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
        for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g)
        {
            m_last_lr.push_back(optimizer.lr(g));
        }
    }

    bool ReduceLROnPlateau::is_better(double a, double best) const
    {
        const bool rel = m_options.threshold_mode() == "rel";
        if (m_options.mode() == "min")
        {
            return rel ? a < best * (1. - m_options.threshold()) : a < best - m_options.threshold();
        }
        return rel ? a > best * (m_options.threshold() + 1.) : a > best + m_options.threshold();
    }

    void ReduceLROnPlateau::step(double metric)
    {
        ++m_last_epoch;
        if (is_better(metric, m_best))
        {
            m_best = metric;
            m_num_bad_epochs = 0;
        }
        else
        {
            ++m_num_bad_epochs;
        }
        if (m_cooldown_counter > 0)
        {
            --m_cooldown_counter;
            m_num_bad_epochs = 0;   // bad epochs in cooldown are ignored
        }
        if (m_num_bad_epochs > m_options.patience())
        {
            for (std::size_t g = 0; g < m_optimizer.num_param_groups(); ++g)
            {
                const double old_lr = m_optimizer.lr(g);
                const double new_lr = std::max(old_lr * m_options.factor(), m_min_lrs[g]);
                if (old_lr - new_lr > m_options.eps())
                {
                    m_optimizer.set_lr(g, new_lr);
                }
            }
            m_cooldown_counter = m_options.cooldown();
            m_num_bad_epochs = 0;
        }
        for (std::size_t g = 0; g < m_optimizer.num_param_groups(); ++g)
        {
            m_last_lr[g] = m_optimizer.lr(g);
        }
    }

    named_tensors ReduceLROnPlateau::state_dict() const
    {
        return {{"last_epoch", scalar(static_cast<double>(m_last_epoch), adjoint::int64)},
                {"num_bad_epochs", scalar(static_cast<double>(m_num_bad_epochs), adjoint::int64)},
                {"cooldown_counter", scalar(static_cast<double>(m_cooldown_counter), adjoint::int64)},
                {"best", scalar(m_best, float64)},
                {"last_lr", vector_tensor(m_last_lr)}};
    }

    void ReduceLROnPlateau::load_state_dict(const named_tensors& dict)
    {
        state_reader in("ReduceLROnPlateau", dict);
        const std::int64_t last_epoch = in.count("last_epoch");
        const std::int64_t bad = in.count("num_bad_epochs");
        const std::int64_t cooldown = in.count("cooldown_counter");
        const double best = in.value("best");
        std::vector<double> last_lr = in.values("last_lr", m_last_lr.size());
        in.finish();
        m_last_epoch = last_epoch;
        m_num_bad_epochs = bad;
        m_cooldown_counter = cooldown;
        m_best = best;
        m_last_lr = std::move(last_lr);
    }
}
