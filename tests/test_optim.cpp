// Optimizers against PyTorch 1.13: parameter trajectories of SGD, Adam, AdamW and RMSprop in
// every option combination (tests/fixtures/generate_optim.py) at 1e-10 in float64 and ~1e-4 in
// float32, parameter groups, the in-place contract (handles and versions), and torch's
// validation of options and parameters, verbatim.
#include "optim_helpers.hpp"

#include <cmath>
#include <functional>
#include <memory>

using namespace adjoint;
using namespace adjoint::optim;
using optim_test::problem;

namespace
{
    using factory = std::function<std::unique_ptr<Optimizer>(const Tensor& W, const Tensor& b)>;

    template <class O, class Options>
    factory make(Options options)
    {
        return [options](const Tensor& W, const Tensor& b) { return std::make_unique<O>(tensor_list{W, b}, options); };
    }

    // Runs the generator's six steps and compares W and b after each with torch's.
    void expect_trajectory(const std::string& name, const factory& f, adjoint::dtype dt = float64)
    {
        SCOPED_TRACE("trajectory " + name + " in " + dtype_name(dt));
        const Tensor Ws = golden::fixture("optim", "traj_" + name + "_W");
        const Tensor bs = golden::fixture("optim", "traj_" + name + "_b");
        problem pb(dt);
        std::unique_ptr<Optimizer> opt = f(pb.W, pb.b);
        const double tol = dt == float64 ? 1e-10 : 1e-4;
        for (std::int64_t s = 0; s < Ws.size(0); ++s)
        {
            pb.train_step(*opt);
            ASSERT_TENSOR_NEAR(pb.W.to(float64), optim_test::row(Ws, s), tol, tol) << "after step " << s + 1;
            ASSERT_TENSOR_NEAR(pb.b.to(float64), optim_test::row(bs, s), tol, tol) << "after step " << s + 1;
        }
    }

    const std::vector<std::pair<std::string, factory>>& cases()
    {
        static const std::vector<std::pair<std::string, factory>> all = {
            {"sgd", make<SGD>(SGDOptions(0.01))},
            {"sgd_momentum", make<SGD>(SGDOptions(0.01).momentum(0.9))},
            {"sgd_dampening", make<SGD>(SGDOptions(0.01).momentum(0.9).dampening(0.3))},
            {"sgd_nesterov", make<SGD>(SGDOptions(0.01).momentum(0.9).nesterov(true))},
            {"sgd_weight_decay", make<SGD>(SGDOptions(0.01).momentum(0.5).weight_decay(0.1))},
            {"sgd_maximize", make<SGD>(SGDOptions(0.01).momentum(0.9).maximize(true))},
            {"adam", make<Adam>(AdamOptions(0.05))},
            {"adam_amsgrad", make<Adam>(AdamOptions(0.05).betas({0.8, 0.9}).amsgrad(true))},
            {"adam_weight_decay", make<Adam>(AdamOptions(0.05).weight_decay(0.1).eps(1e-3))},
            {"adam_maximize", make<Adam>(AdamOptions(0.05).maximize(true))},
            {"adamw", make<AdamW>(AdamWOptions(0.05))},
            {"adamw_amsgrad", make<AdamW>(AdamWOptions(0.05).weight_decay(0.3).amsgrad(true))},
            {"rmsprop", make<RMSprop>(RMSpropOptions(0.01))},
            {"rmsprop_centered", make<RMSprop>(RMSpropOptions(0.01).alpha(0.9).centered(true))},
            {"rmsprop_momentum", make<RMSprop>(RMSpropOptions(0.01).momentum(0.8).weight_decay(0.1))},
            {"rmsprop_centered_momentum",
             make<RMSprop>(RMSpropOptions(0.01).momentum(0.5).centered(true).eps(1e-4).maximize(true))},
            {"sgd_groups",
             [](const Tensor& W, const Tensor& b) {
                 return std::make_unique<SGD>(
                     std::vector<SGD::param_group>{{{W}, SGDOptions(0.01).momentum(0.9)}, {{b}, SGDOptions(0.05)}});
             }},
            {"adam_groups",
             [](const Tensor& W, const Tensor& b) {
                 return std::make_unique<Adam>(std::vector<Adam::param_group>{
                     {{W}, AdamOptions(0.01)}, {{b}, AdamOptions(0.1).amsgrad(true)}});
             }},
        };
        return all;
    }
}

TEST(OptimGolden, TrajectoriesMatchTorchInFloat64)
{
    for (const auto& [name, f] : cases())
    {
        expect_trajectory(name, f);
    }
}

TEST(OptimGolden, TrajectoriesMatchTorchInFloat32)
{
    for (const auto& [name, f] : cases())
    {
        expect_trajectory(name, f, float32);
    }
}

TEST(OptimGolden, GroupsKeepTheirOwnOptions)
{
    problem pb;
    SGD opt({{{pb.W}, SGDOptions(0.01).momentum(0.9)}});
    opt.add_param_group({pb.b}, SGDOptions(0.05));
    EXPECT_EQ(opt.num_param_groups(), 2u);
    EXPECT_EQ(opt.options(1).lr(), 0.05);
    EXPECT_EQ(opt.options(0).momentum(), 0.9);
    EXPECT_EQ(opt.parameters().size(), 2u);
    // Added later, the result is the same as the generator's two groups.
    const Tensor Ws = golden::fixture("optim", "traj_sgd_groups_W");
    const Tensor bs = golden::fixture("optim", "traj_sgd_groups_b");
    for (std::int64_t s = 0; s < Ws.size(0); ++s)
    {
        pb.train_step(opt);
    }
    EXPECT_TENSOR_NEAR(pb.W, optim_test::row(Ws, Ws.size(0) - 1), 1e-10, 1e-10);
    EXPECT_TENSOR_NEAR(pb.b, optim_test::row(bs, bs.size(0) - 1), 1e-10, 1e-10);
    EXPECT_THROW_MESSAGE(std::out_of_range, "SGD: expected a parameter group index below 2, got 2", opt.options(2));
}

TEST(Optim, UpdatesInPlaceSoEveryHandleSeesThem)
{
    problem pb;
    const Tensor held = pb.W;   // as a module would hold it
    const auto storage = pb.W.data().storage_id();
    const auto version = pb.W.data().version();
    SGD opt(pb.params(), SGDOptions(0.1));
    pb.train_step(opt);
    EXPECT_EQ(held.data().storage_id(), storage);
    EXPECT_GT(held.data().version(), version);
    EXPECT_TRUE(optim_test::same_bytes(held, pb.W));
    EXPECT_NE(held.to_vector(), golden::fixture("optim", "problem_W").to_vector());
}

TEST(Optim, AParameterWithoutGradientIsSkipped)
{
    for (const auto& [name, f] : cases())
    {
        SCOPED_TRACE(name);
        problem pb;
        std::unique_ptr<Optimizer> opt = f(pb.W, pb.b);
        // Only W gets a gradient: b must not move, and gets no state.
        opt->zero_grad();
        sum(pow(matmul(pb.x, pb.W) - pb.t, 2.0)).backward();
        opt->step();
        EXPECT_EQ(pb.b.to_vector(), golden::fixture("optim", "problem_b").to_vector());
        EXPECT_NE(pb.W.to_vector(), golden::fixture("optim", "problem_W").to_vector());
        for (const auto& [key, value] : opt->state_dict())
        {
            EXPECT_NE(key.rfind("state.1.", 0), 0u) << key;
        }
    }
}

TEST(Optim, ZeroGradDropsGradients)
{
    problem pb;
    Adam opt(pb.params());
    pb.backward();
    ASSERT_TRUE(pb.W.grad().defined());
    opt.zero_grad();
    EXPECT_FALSE(pb.W.grad().defined());
    EXPECT_FALSE(pb.b.grad().defined());
}

TEST(OptimErrors, OptionsAreValidatedAsTorch)
{
    const tensor_list ps = problem().params();
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SGD: invalid learning rate, expected lr >= 0, got -0.1",
                         SGD(ps, SGDOptions(-0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SGD: invalid momentum value, expected momentum >= 0, got -0.5",
                         SGD(ps, SGDOptions(0.1).momentum(-0.5)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD: invalid weight_decay value, expected weight_decay >= 0, got -0.01",
                         SGD(ps, SGDOptions(0.1).weight_decay(-0.01)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD: nesterov momentum requires a momentum and zero dampening, got momentum 0 and dampening 0",
                         SGD(ps, SGDOptions(0.1).nesterov(true)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD: nesterov momentum requires a momentum and zero dampening, got momentum 0.9 and dampening 0.1",
                         SGD(ps, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Adam: invalid learning rate, expected lr >= 0, got -0.001",
                         Adam(ps, AdamOptions(-1e-3)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Adam: invalid epsilon value, expected eps >= 0, got -1e-08",
                         Adam(ps, AdamOptions().eps(-1e-8)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Adam: invalid beta parameter at index 0, expected 0 <= betas[0] < 1, got 1",
                         Adam(ps, AdamOptions().betas({1.0, 0.999})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "AdamW: invalid beta parameter at index 1, expected 0 <= betas[1] < 1, got -0.5",
                         AdamW(ps, AdamWOptions().betas({0.9, -0.5})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "AdamW: invalid weight_decay value, expected weight_decay >= 0, got -1",
                         AdamW(ps, AdamWOptions().weight_decay(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "RMSprop: invalid alpha value, expected alpha >= 0, got -0.9",
                         RMSprop(ps, RMSpropOptions().alpha(-0.9)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "RMSprop: invalid momentum value, expected momentum >= 0, got -1",
                         RMSprop(ps, RMSpropOptions().momentum(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "RMSprop: invalid epsilon value, expected eps >= 0, got -1",
                         RMSprop(ps, RMSpropOptions().eps(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "RMSprop: invalid learning rate, expected lr >= 0, got nan",
                         RMSprop(ps, RMSpropOptions(std::nan(""))));
    // A later group is validated too (torch checks only the defaults).
    SGD opt(ps, SGDOptions(0.1));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SGD: invalid learning rate, expected lr >= 0, got -1",
                         opt.add_param_group({zeros({2}).requires_grad_()}, SGDOptions(-1.0)));
    EXPECT_EQ(opt.num_param_groups(), 1u);
}

TEST(OptimErrors, ParametersAreChecked)
{
    problem pb;
    Tensor c = zeros({2}, float64).requires_grad_();
    Tensor d = zeros({3}, float64).requires_grad_();
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "SGD: a parameter appears in more than one parameter group (group 0 index 1 and group 1 index 0)",
        SGD({{{pb.W, pb.b}, SGDOptions(0.1)}, {{pb.b, c}, SGDOptions(0.2)}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Adam: a parameter appears twice in parameter group 1 (index 0 and index 2)",
                         Adam({{{pb.W}, AdamOptions()}, {{c, d, c}, AdamOptions()}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SGD: got an empty parameter list", SGD(tensor_list{}, SGDOptions(0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "SGD: parameter 1 of group 0 is undefined",
                         SGD({pb.W, Tensor()}, SGDOptions(0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD: parameter 0 of group 0 does not require grad; call requires_grad_() on it or leave it out",
                         SGD({zeros({2})}, SGDOptions(0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "RMSprop: parameter 1 of group 0 is not a leaf (an op computed it); optimize the leaf tensors "
                         "the computation starts from",
                         RMSprop({pb.W, pb.b * 2.0}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "SGD: parameter 0 of group 0 has dtype int64, expected a floating dtype (float32 or float64)",
                         SGD({zeros({2}, adjoint::int64)}, SGDOptions(0.1)));
    SGD opt({pb.W}, SGDOptions(0.1));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "SGD: a parameter appears in more than one parameter group (group 0 index 0 and group 1 index 1)",
        opt.add_param_group({c, pb.W}, SGDOptions(0.1)));
    EXPECT_EQ(opt.num_param_groups(), 1u);
}

TEST(OptimErrors, AdamCyclesBeta1AsItsMomentum)
{
    problem pb;
    Adam adam(pb.params());
    EXPECT_TRUE(adam.has_momentum());
    adam.set_momentum(0, 0.8);
    EXPECT_EQ(adam.options().betas(), (std::pair<double, double>{0.8, 0.999}));
}

// ---- with modules ----

namespace
{
    std::shared_ptr<Sequential> small_conv_model()
    {
        manual_seed(7);
        auto model = std::make_shared<Sequential>(std::make_shared<Conv2d>(Conv2dOptions(2, 4, 3).padding(1)),
                                                  std::make_shared<Conv2d>(Conv2dOptions(4, 1, 3).padding(1)));
        model->to(float64);
        return model;
    }

    double conv_loss(Sequential& model, const Tensor& x, const Tensor& t)
    {
        Tensor loss = mean(pow(model(x) - t, 2.0));
        loss.backward();
        return loss.item();
    }
}

TEST(OptimModule, TrainsAConv2dModelThroughItsParameters)
{
    auto model = small_conv_model();
    manual_seed(8);
    const Tensor x = randn({3, 2, 5, 5}, float64);
    const Tensor t = randn({3, 1, 5, 5}, float64);
    SGD opt(model->parameters(), SGDOptions(0.05).momentum(0.9));
    ASSERT_EQ(opt.params(0).size(), 4u);   // weight and bias of each conv
    const auto first = std::dynamic_pointer_cast<Conv2d>(model->named_children()[0].second);
    ASSERT_TRUE(first);
    EXPECT_TRUE(opt.params(0)[0].is_same(first->weight()));
    const std::vector<double> before = first->weight().to_vector();
    double initial = 0.0, last = 0.0;
    for (int i = 0; i < 30; ++i)
    {
        opt.zero_grad();
        last = conv_loss(*model, x, t);
        if (i == 0)
        {
            initial = last;
        }
        opt.step();
    }
    EXPECT_LT(last, 0.8 * initial);
    EXPECT_NE(first->weight().to_vector(), before);   // the module's own handle saw the updates
}

TEST(OptimModule, ModelAndOptimizerResumeExactly)
{
    manual_seed(8);
    const Tensor x = randn({2, 2, 4, 4}, float64);
    const Tensor t = randn({2, 1, 4, 4}, float64);
    auto straight = small_conv_model();
    {
        Adam opt(straight->parameters(), AdamOptions(0.01));
        for (int i = 0; i < 6; ++i)
        {
            opt.zero_grad();
            conv_loss(*straight, x, t);
            opt.step();
        }
    }
    auto resumed = small_conv_model();
    named_tensors model_state, opt_state;
    {
        Adam opt(resumed->parameters(), AdamOptions(0.01));
        for (int i = 0; i < 3; ++i)
        {
            opt.zero_grad();
            conv_loss(*resumed, x, t);
            opt.step();
        }
        model_state = resumed->state_dict();
        opt_state = opt.state_dict();
    }
    auto fresh = small_conv_model();
    manual_seed(99);
    fresh->load_state_dict(model_state);
    Adam opt(fresh->parameters(), AdamOptions(0.01));
    opt.load_state_dict(opt_state);
    for (int i = 0; i < 3; ++i)
    {
        opt.zero_grad();
        conv_loss(*fresh, x, t);
        opt.step();
    }
    const named_tensors a = straight->state_dict(), b = fresh->state_dict();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        EXPECT_TRUE(optim_test::same_bytes(a[i].second, b[i].second)) << a[i].first;
    }
}
