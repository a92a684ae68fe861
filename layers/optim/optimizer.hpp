// Optimizer: the base of SGD, Adam, AdamW and RMSprop — parameter groups (each a list of
// parameters with its own options), per-parameter state, zero_grad(), and the state dict that
// resumes training exactly. Updates run in place under no_grad_guard through Tensor's in-place
// API, so the handles a module holds see them. Not here: closures (step(closure)), sparse
// gradients, and the update rules themselves (sgd.hpp, adam.hpp, rmsprop.hpp).
#pragma once
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/layers/module.hpp>   // named_tensors

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace adjoint::optim
{
    // One parameter's optimizer state: "step" (int64, 0-d) and the buffers (the parameter's
    // shape and dtype) in the order the optimizer creates them. Empty until its first update.
    struct param_state
    {
        named_tensors entries;
        bool empty() const { return entries.empty(); }
        bool has(const std::string& name) const;
        Tensor& operator[](const std::string& name);   // std::logic_error when absent
        void add(const std::string& name, Tensor value) { entries.emplace_back(name, std::move(value)); }
        std::int64_t next_step();   // bumps "step" (in place) and returns the new count
    };

    class Optimizer
    {
    public:
        virtual ~Optimizer() = default;
        Optimizer(const Optimizer&) = delete;
        Optimizer& operator=(const Optimizer&) = delete;

        // One update of every parameter whose gradient is defined (the others are skipped).
        virtual void step() = 0;
        // Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
        void zero_grad();

        const std::string& name() const { return m_name; }   // "SGD", prefixes its errors
        std::size_t num_param_groups() const { return m_params.size(); }
        const tensor_list& params(std::size_t group) const;
        tensor_list parameters() const;   // every group's, in order

        // The hyper-parameters schedulers move, by group. momentum is SGD's and RMSprop's
        // momentum and Adam's beta1 (what torch's OneCycleLR cycles); has_momentum() is false
        // for an optimizer without one.
        virtual double lr(std::size_t group) const = 0;
        virtual void set_lr(std::size_t group, double lr) = 0;
        virtual bool has_momentum() const { return false; }
        virtual double momentum(std::size_t group) const;
        virtual void set_momentum(std::size_t group, double momentum);

        // Copies of the state and the group options, in this order:
        //   state.<i>.step, state.<i>.<buffer>...   for each parameter i with state (i counts
        //                                           across groups, in order)
        //   param_groups.<g>.params                 int64 [n]: the indices of the group's parameters
        //   param_groups.<g>.<option>               float64: 0-d (flags as 0 / 1), betas (2,)
        named_tensors state_dict() const;
        // Restores a state_dict() of an optimizer of this kind over parameters of the same
        // shapes, grouped the same way. Everything is checked first (one std::invalid_argument
        // lists every missing or unexpected key and every wrong shape, dtype or value); when
        // it throws, nothing has changed.
        void load_state_dict(const named_tensors& dict);

    protected:
        explicit Optimizer(std::string name) : m_name(std::move(name)) {}

        // Checks and appends a group's parameters: leaves that require grad, of a floating
        // dtype, none already in this optimizer.
        void add_params(const tensor_list& params);
        param_state& state(std::size_t group, std::size_t index);
        void check_group(std::size_t group) const;

        // The option hooks of OptimizerWith<Options> below.
        virtual named_tensors group_options(std::size_t group) const = 0;
        // Reads group `group`'s options from `dict` into a staged copy (applied only by
        // commit_staged), marking the keys it used and noting every problem.
        struct loading
        {
            std::map<std::string, Tensor> dict;
            std::set<std::string> used;
            std::vector<std::string> missing, problems;
            const Tensor* take(const std::string& key);   // nullptr (and noted missing) when absent
        };
        virtual void stage_group_options(std::size_t group, loading& in) = 0;
        // The state keys a parameter of `group` has once updated, under the staged options.
        virtual std::vector<std::string> staged_state_keys(std::size_t group) const = 0;
        virtual void commit_staged() = 0;

    private:
        std::string m_name;
        std::vector<tensor_list> m_params;
        std::vector<std::vector<param_state>> m_state;
    };

    namespace detail
    {
        // Reading and writing one option field as a float64 tensor.
        Tensor option_tensor(double value);
        Tensor option_tensor(bool value);
        Tensor option_tensor(const std::pair<double, double>& value);
        // Parses `t` into `value`, or returns the problem ("expected a 0-d float64 tensor, got ...").
        std::string read_option(const Tensor& t, double& value);
        std::string read_option(const Tensor& t, bool& value);
        std::string read_option(const Tensor& t, std::pair<double, double>& value);
    }

    // The typed half of an optimizer: groups of parameters with `Options` (SGDOptions, ...).
    // Options provide lr() / lr(double), validate(op) and fields(self, f), which calls
    // f("name", member) for each hyper-parameter (double, bool or a pair of doubles).
    template <class Options>
    class OptimizerWith : public Optimizer
    {
    public:
        struct param_group
        {
            tensor_list params;
            Options options;
        };

        // Adds parameters with their own options (validated first), as torch's add_param_group.
        void add_param_group(const tensor_list& params, const Options& options)
        {
            options.validate(name().c_str());
            add_params(params);
            m_options.push_back(options);
        }
        void add_param_group(const param_group& group) { add_param_group(group.params, group.options); }

        // A group's options; changes apply from the next step() (schedulers use lr()).
        Options& options(std::size_t group = 0)
        {
            check_group(group);
            return m_options[group];
        }
        const Options& options(std::size_t group = 0) const
        {
            check_group(group);
            return m_options[group];
        }

        double lr(std::size_t group) const override { return options(group).lr(); }
        void set_lr(std::size_t group, double lr) override { options(group).lr(lr); }

    protected:
        OptimizerWith(std::string name, const std::vector<param_group>& groups) : Optimizer(std::move(name))
        {
            std::size_t total = 0;
            for (const param_group& g : groups)
            {
                add_param_group(g);
                total += g.params.size();
            }
            if (total == 0)
            {
                throw std::invalid_argument(adjoint::detail::str(this->name(), ": got an empty parameter list"));
            }
        }

        named_tensors group_options(std::size_t group) const override
        {
            named_tensors out;
            Options::fields(m_options[group], [&](const char* key, const auto& value) {
                out.emplace_back(key, detail::option_tensor(value));
            });
            return out;
        }

        void stage_group_options(std::size_t group, loading& in) override
        {
            if (group == 0)
            {
                m_staged.clear();
            }
            Options staged = m_options[group];
            const std::string prefix = "param_groups." + std::to_string(group) + ".";
            bool complete = true;
            Options::fields(staged, [&](const char* key, auto& value) {
                const Tensor* t = in.take(prefix + key);
                if (t == nullptr)
                {
                    complete = false;
                    return;
                }
                const std::string problem = detail::read_option(*t, value);
                if (!problem.empty())
                {
                    complete = false;
                    in.problems.push_back(prefix + key + ": " + problem);
                }
            });
            if (complete)
            {
                try
                {
                    staged.validate(name().c_str());
                }
                catch (const std::invalid_argument& e)
                {
                    in.problems.push_back(prefix + "*: " + e.what());
                }
            }
            m_staged.push_back(staged);
        }

        std::vector<std::string> staged_state_keys(std::size_t group) const override
        {
            return state_keys(m_staged[group]);
        }

        void commit_staged() override { m_options = m_staged; }

        // The state a parameter has once updated under `options`, in creation order.
        virtual std::vector<std::string> state_keys(const Options& options) const = 0;

        std::vector<Options> m_options;

    private:
        std::vector<Options> m_staged;
    };
}
