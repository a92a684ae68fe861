// Optimizer state dicts: training 2N steps straight and N steps, state_dict, a fresh optimizer
// over the same parameters, load_state_dict, N more steps give bit-identical parameters, for
// every optimizer; the dict's layout; and load_state_dict's checks, which change nothing
// when they throw.
#include "optim_helpers.hpp"

#include <functional>
#include <memory>

using namespace adjoint;
using namespace adjoint::optim;
using optim_test::problem;

namespace
{
    using factory = std::function<std::unique_ptr<Optimizer>(const tensor_list& params)>;

    template <class O, class Options>
    factory make(Options options)
    {
        return [options](const tensor_list& ps) { return std::make_unique<O>(ps, options); };
    }

    const std::vector<std::pair<std::string, factory>>& cases()
    {
        static const std::vector<std::pair<std::string, factory>> all = {
            {"sgd_momentum", make<SGD>(SGDOptions(0.01).momentum(0.9).weight_decay(0.1))},
            {"sgd_nesterov", make<SGD>(SGDOptions(0.01).momentum(0.9).nesterov(true))},
            {"adam", make<Adam>(AdamOptions(0.05))},
            {"adam_amsgrad", make<Adam>(AdamOptions(0.05).betas({0.8, 0.9}).amsgrad(true).weight_decay(0.1))},
            {"adamw", make<AdamW>(AdamWOptions(0.05).amsgrad(true))},
            {"rmsprop", make<RMSprop>(RMSpropOptions(0.01).momentum(0.5).centered(true))},
            {"sgd_groups",
             [](const tensor_list& ps) {
                 return std::make_unique<SGD>(std::vector<SGD::param_group>{
                     {{ps[0]}, SGDOptions(0.01).momentum(0.9)}, {{ps[1]}, SGDOptions(0.05).momentum(0.5)}});
             }},
        };
        return all;
    }

    const Tensor* find(const named_tensors& dict, const std::string& key)
    {
        for (const auto& [k, v] : dict)
        {
            if (k == key)
            {
                return &v;
            }
        }
        return nullptr;
    }
}

TEST(OptimState, ResumingIsBitIdentical)
{
    for (adjoint::dtype dt : {float64, float32})
    {
        for (const auto& [name, f] : cases())
        {
            SCOPED_TRACE(name + " in " + dtype_name(dt));
            const int n = 4;
            problem straight(dt);
            {
                std::unique_ptr<Optimizer> opt = f(straight.params());
                for (int i = 0; i < 2 * n; ++i)
                {
                    straight.train_step(*opt);
                }
            }
            problem resumed(dt);
            named_tensors saved;
            {
                std::unique_ptr<Optimizer> opt = f(resumed.params());
                for (int i = 0; i < n; ++i)
                {
                    resumed.train_step(*opt);
                }
                saved = opt->state_dict();
            }
            std::unique_ptr<Optimizer> fresh = f(resumed.params());
            fresh->load_state_dict(saved);
            for (int i = 0; i < n; ++i)
            {
                resumed.train_step(*fresh);
            }
            EXPECT_TRUE(optim_test::same_bytes(straight.W, resumed.W));
            EXPECT_TRUE(optim_test::same_bytes(straight.b, resumed.b));
            EXPECT_EQ(straight.W.to_vector(), resumed.W.to_vector());
            // Without the state the run differs, so the comparison above can fail.
            problem restarted(dt);
            {
                std::unique_ptr<Optimizer> opt = f(restarted.params());
                for (int i = 0; i < n; ++i)
                {
                    restarted.train_step(*opt);
                }
            }
            std::unique_ptr<Optimizer> forgetful = f(restarted.params());
            for (int i = 0; i < n; ++i)
            {
                restarted.train_step(*forgetful);
            }
            EXPECT_NE(straight.W.to_vector(), restarted.W.to_vector());
        }
    }
}

TEST(OptimState, TheDictListsStateThenGroups)
{
    problem pb;
    Adam opt({{{pb.W}, AdamOptions(0.01).amsgrad(true)}, {{pb.b}, AdamOptions(0.1)}});
    pb.train_step(opt);
    pb.train_step(opt);
    std::vector<std::string> keys;
    for (const auto& [k, v] : opt.state_dict())
    {
        keys.push_back(k);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{
                        "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                        "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq",
                        "param_groups.0.params", "param_groups.0.lr", "param_groups.0.betas", "param_groups.0.eps",
                        "param_groups.0.weight_decay", "param_groups.0.amsgrad", "param_groups.0.maximize",
                        "param_groups.1.params", "param_groups.1.lr", "param_groups.1.betas", "param_groups.1.eps",
                        "param_groups.1.weight_decay", "param_groups.1.amsgrad", "param_groups.1.maximize"}));
    const named_tensors dict = opt.state_dict();
    EXPECT_EQ(find(dict, "state.1.step")->dtype(), adjoint::int64);
    EXPECT_EQ(find(dict, "state.1.step")->item(), 2.0);
    EXPECT_TENSOR_SHAPE(*find(dict, "state.0.exp_avg"), {3, 4});
    EXPECT_EQ(find(dict, "param_groups.1.lr")->dtype(), float64);
    EXPECT_EQ(find(dict, "param_groups.1.lr")->dim(), 0);
    EXPECT_EQ(find(dict, "param_groups.1.lr")->item(), 0.1);
    EXPECT_EQ(find(dict, "param_groups.0.amsgrad")->item(), 1.0);
    EXPECT_EQ(find(dict, "param_groups.1.params")->to_vector(), (std::vector<double>{1}));
    EXPECT_EQ(find(dict, "param_groups.0.betas")->to_vector(), (std::vector<double>{0.9, 0.999}));
    // Copies: training on does not change a dict taken earlier.
    const std::vector<double> before = find(dict, "state.0.exp_avg")->to_vector();
    pb.train_step(opt);
    EXPECT_EQ(find(dict, "state.0.exp_avg")->to_vector(), before);
}

TEST(OptimState, LoadingRestoresGroupOptions)
{
    problem pb;
    SGD a(pb.params(), SGDOptions(0.5).momentum(0.9).nesterov(true));
    SGD b(pb.params(), SGDOptions(0.1));
    b.load_state_dict(a.state_dict());
    EXPECT_EQ(b.options().lr(), 0.5);
    EXPECT_EQ(b.options().momentum(), 0.9);
    EXPECT_TRUE(b.options().nesterov());
}

namespace
{
    named_tensors with(named_tensors dict, const std::string& key, const Tensor& value)
    {
        for (auto& [k, v] : dict)
        {
            if (k == key)
            {
                v = value;
                return dict;
            }
        }
        dict.emplace_back(key, value);
        return dict;
    }

    named_tensors without(named_tensors dict, const std::string& key)
    {
        named_tensors out;
        for (auto& [k, v] : dict)
        {
            if (k != key)
            {
                out.emplace_back(k, v);
            }
        }
        return out;
    }
}

TEST(OptimStateErrors, EveryProblemIsListedAndNothingChanges)
{
    problem pb;
    Adam trained(pb.params(), AdamOptions(0.01));
    pb.train_step(trained);
    const named_tensors good = trained.state_dict();

    problem other;
    Adam target(other.params(), AdamOptions(0.02));
    other.train_step(target);
    const named_tensors target_before = target.state_dict();
    const auto unchanged = [&] {
        const named_tensors now = target.state_dict();
        ASSERT_EQ(now.size(), target_before.size());
        for (std::size_t i = 0; i < now.size(); ++i)
        {
            EXPECT_EQ(now[i].first, target_before[i].first);
            EXPECT_TRUE(optim_test::same_bytes(now[i].second, target_before[i].second)) << now[i].first;
        }
    };

    named_tensors bad = without(good, "state.0.exp_avg_sq");
    bad = without(bad, "param_groups.0.eps");
    bad = with(bad, "state.7.exp_avg", zeros({2}, float64));
    bad = with(bad, "state.1.exp_avg", zeros({3}, float64));
    bad = with(bad, "param_groups.0.lr", scalar(0.1, float32));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: missing keys: "
                         "param_groups.0.eps, state.0.exp_avg_sq; unexpected keys: state.7.exp_avg; "
                         "param_groups.0.lr: expected a 0-d float64 tensor, got () float32; "
                         "state.1.exp_avg: expected (4,) float64 (the parameter's), got (3,) float64",
                         target.load_state_dict(bad));
    unchanged();

    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: param_groups.0.*: Adam: "
                         "invalid beta parameter at index 0, expected 0 <= betas[0] < 1, got 1.5",
                         target.load_state_dict(with(good, "param_groups.0.betas", tensor({1.5, 0.9}, float64))));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: param_groups.0.amsgrad: "
                         "expected a 0-d float64 tensor holding 0 or 1, got () float64 holding 2",
                         target.load_state_dict(with(good, "param_groups.0.amsgrad", scalar(2.0, float64))));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: state.0.step: expected a "
                         "0-d int64 count >= 0, got () float64",
                         target.load_state_dict(with(good, "state.0.step", scalar(1.0, float64))));
    // amsgrad switched on in the dict means the state must have max_exp_avg_sq.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: missing keys: "
                         "state.0.max_exp_avg_sq, state.1.max_exp_avg_sq",
                         target.load_state_dict(with(good, "param_groups.0.amsgrad", scalar(1.0, float64))));
    unchanged();

    // Grouped differently: the group sizes disagree.
    problem third;
    Adam split({{{third.W}, AdamOptions()}, {{third.b}, AdamOptions()}});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam.load_state_dict: the state dict does not fit this optimizer: missing keys: "
                         "param_groups.1.params, param_groups.1.lr, param_groups.1.betas, param_groups.1.eps, "
                         "param_groups.1.weight_decay, param_groups.1.amsgrad, param_groups.1.maximize; "
                         "param_groups.0.params: lists 2 parameters, but group 0 of this optimizer has 1; "
                         "state.0.exp_avg: expected (3, 4) float64 (the parameter's), got (4,) float64",
                         split.load_state_dict(with(good, "state.0.exp_avg", zeros({4}, float64))));

    // Another optimizer's dict.
    SGD sgd(other.params(), SGDOptions(0.1).momentum(0.9));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD.load_state_dict: the state dict does not fit this optimizer: missing keys: "
                         "param_groups.0.momentum, param_groups.0.dampening, param_groups.0.nesterov; unexpected keys: "
                         "param_groups.0.amsgrad, param_groups.0.betas, param_groups.0.eps, state.0.exp_avg, "
                         "state.0.exp_avg_sq, state.0.step, state.1.exp_avg, state.1.exp_avg_sq, state.1.step",
                         sgd.load_state_dict(good));
}
