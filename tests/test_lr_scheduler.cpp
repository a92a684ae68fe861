// Learning-rate schedulers against PyTorch 1.13: the lr sequence of every scheduler (and the
// momentum / beta1 OneCycleLR cycles) over 30-40 steps at 1e-12, two parameter groups, from
// tests/fixtures/generate_optim.py; resuming through state_dict; torch's checks, verbatim.
#include "optim_helpers.hpp"

#include <functional>
#include <memory>

using namespace adjoint;
using namespace adjoint::optim;

namespace
{
    // The generator's setup: two groups with lr 0.1 and 0.05 (SGD with momentum 0.9, or Adam).
    struct setup
    {
        Tensor p0 = zeros({2}, float64).requires_grad_();
        Tensor p1 = zeros({3}, float64).requires_grad_();
        std::unique_ptr<Optimizer> opt;
        explicit setup(bool adam = false)
        {
            if (adam)
            {
                opt = std::make_unique<Adam>(
                    std::vector<Adam::param_group>{{{p0}, AdamOptions(0.1)}, {{p1}, AdamOptions(0.05)}});
            }
            else
            {
                opt = std::make_unique<SGD>(std::vector<SGD::param_group>{{{p0}, SGDOptions(0.1).momentum(0.9)},
                                                                           {{p1}, SGDOptions(0.05).momentum(0.9)}});
            }
        }
        std::vector<double> lrs() const { return {opt->lr(0), opt->lr(1)}; }
        std::vector<double> momenta() const { return {opt->momentum(0), opt->momentum(1)}; }
    };

    void expect_row(const Tensor& golden, std::int64_t row, const std::vector<double>& actual, const char* what)
    {
        EXPECT_TENSOR_NEAR(from_vector(actual, {2}, float64), optim_test::row(golden, row), 1e-12, 1e-12)
            << what << " after " << row << " steps";
    }

    using make_fn = std::function<std::unique_ptr<LRScheduler>(Optimizer&)>;

    // Constructs, then steps as the generator does, comparing lr (and get_last_lr) each time.
    void expect_schedule(const std::string& name, const make_fn& make, bool adam = false, bool momentum = false)
    {
        SCOPED_TRACE("schedule " + name);
        const Tensor lrs = golden::fixture("optim", "lr_" + name);
        const Tensor moms = momentum ? golden::fixture("optim", "lr_" + name + "_momentum") : Tensor();
        setup s(adam);
        std::unique_ptr<LRScheduler> sched = make(*s.opt);
        for (std::int64_t i = 0; i < lrs.size(0); ++i)
        {
            if (i > 0)
            {
                s.opt->step();
                sched->step();
            }
            expect_row(lrs, i, s.lrs(), "lr");
            EXPECT_EQ(sched->get_last_lr(), s.lrs());
            if (momentum)
            {
                expect_row(moms, i, s.momenta(), "momentum");
            }
        }
    }
}

TEST(LRSchedulerGolden, StepMultiStepExponential)
{
    expect_schedule("step", [](Optimizer& o) { return std::make_unique<StepLR>(o, 4, 0.5); });
    expect_schedule("multistep", [](Optimizer& o) {
        return std::make_unique<MultiStepLR>(o, std::vector<std::int64_t>{3, 7, 7, 20}, 0.3);
    });
    expect_schedule("exponential", [](Optimizer& o) { return std::make_unique<ExponentialLR>(o, 0.9); });
}

TEST(LRSchedulerGolden, CosineAnnealingFollowsTorchsRecursionThroughRestarts)
{
    expect_schedule("cosine", [](Optimizer& o) { return std::make_unique<CosineAnnealingLR>(o, 7, 0.001); });
}

TEST(LRSchedulerGolden, Linear)
{
    expect_schedule("linear", [](Optimizer& o) { return std::make_unique<LinearLR>(o, 0.25, 0.9, 10); });
}

TEST(LRSchedulerGolden, OneCycleCyclesLrAndMomentum)
{
    expect_schedule(
        "onecycle_cos",
        [](Optimizer& o) { return std::make_unique<OneCycleLR>(o, OneCycleLROptions({1.0, 0.5}).total_steps(30)); },
        false, true);
    expect_schedule("onecycle_linear_three_phase",
                    [](Optimizer& o) {
                        return std::make_unique<OneCycleLR>(o, OneCycleLROptions(0.8)
                                                                   .epochs(5)
                                                                   .steps_per_epoch(6)
                                                                   .pct_start(0.25)
                                                                   .anneal_strategy("linear")
                                                                   .div_factor(10.0)
                                                                   .final_div_factor(100.0)
                                                                   .three_phase(true));
                    },
                    false, true);
    expect_schedule("onecycle_adam",
                    [](Optimizer& o) {
                        return std::make_unique<OneCycleLR>(
                            o, OneCycleLROptions(0.3).total_steps(30).base_momentum(0.8).max_momentum(0.9));
                    },
                    true, true);
}

TEST(LRSchedulerGolden, OneCycleRefusesToStepPastTheEnd)
{
    setup s;
    OneCycleLR sched(*s.opt, OneCycleLROptions(1.0).total_steps(3));
    sched.step();
    sched.step();
    sched.step();   // the 4th lr computed: torch allows last_epoch == total_steps
    EXPECT_THROW_MESSAGE(std::logic_error, "OneCycleLR: tried to step 5 times; the specified number of total steps is 3",
                         sched.step());
    EXPECT_EQ(sched.last_epoch(), 3);
}

namespace
{
    void expect_plateau(const std::string& name, const ReduceLROnPlateauOptions& options)
    {
        SCOPED_TRACE("plateau " + name);
        const std::vector<double> metrics = golden::fixture("optim", "plateau_metrics").to_vector();
        const Tensor lrs = golden::fixture("optim", "lr_" + name);
        setup s;
        ReduceLROnPlateau sched(*s.opt, options);
        expect_row(lrs, 0, s.lrs(), "lr");
        for (std::size_t i = 0; i < metrics.size(); ++i)
        {
            s.opt->step();
            sched.step(metrics[i]);
            expect_row(lrs, static_cast<std::int64_t>(i) + 1, s.lrs(), "lr");
            EXPECT_EQ(sched.get_last_lr(), s.lrs());
        }
    }
}

TEST(LRSchedulerGolden, ReduceLROnPlateau)
{
    expect_plateau("plateau_min_rel", ReduceLROnPlateauOptions().patience(2).factor(0.5));
    expect_plateau("plateau_min_abs_cooldown", ReduceLROnPlateauOptions()
                                                   .patience(1)
                                                   .factor(0.3)
                                                   .threshold(0.05)
                                                   .threshold_mode("abs")
                                                   .cooldown(2)
                                                   .min_lr({0.002, 0.004}));
    expect_plateau("plateau_max_rel",
                   ReduceLROnPlateauOptions().mode("max").patience(3).factor(0.2).threshold(0.01).eps(1e-3));
}

TEST(LRScheduler, ResumingContinuesTheSequence)
{
    const Tensor lrs = golden::fixture("optim", "lr_cosine");
    setup first;
    CosineAnnealingLR a(*first.opt, 7, 0.001);
    for (int i = 0; i < 12; ++i)
    {
        a.step();
    }
    const named_tensors opt_state = first.opt->state_dict();
    const named_tensors sched_state = a.state_dict();
    // As in torch: build the optimizer and scheduler, then load both (the scheduler's first
    // step moved the lr, which the optimizer's state puts back).
    setup second;
    CosineAnnealingLR b(*second.opt, 7, 0.001);
    second.opt->load_state_dict(opt_state);
    b.load_state_dict(sched_state);
    EXPECT_EQ(b.last_epoch(), 12);
    for (std::int64_t i = 13; i < lrs.size(0); ++i)
    {
        b.step();
        expect_row(lrs, i, second.lrs(), "lr");
    }
}

TEST(LRScheduler, PlateauResumes)
{
    const std::vector<double> metrics = golden::fixture("optim", "plateau_metrics").to_vector();
    const Tensor lrs = golden::fixture("optim", "lr_plateau_min_rel");
    const auto options = ReduceLROnPlateauOptions().patience(2).factor(0.5);
    setup first;
    ReduceLROnPlateau a(*first.opt, options);
    for (std::size_t i = 0; i < 18; ++i)
    {
        a.step(metrics[i]);
    }
    setup second;
    ReduceLROnPlateau b(*second.opt, options);
    second.opt->load_state_dict(first.opt->state_dict());
    b.load_state_dict(a.state_dict());
    EXPECT_EQ(b.best(), a.best());
    EXPECT_EQ(b.num_bad_epochs(), a.num_bad_epochs());
    for (std::size_t i = 18; i < metrics.size(); ++i)
    {
        b.step(metrics[i]);
        expect_row(lrs, static_cast<std::int64_t>(i) + 1, second.lrs(), "lr");
    }
}

TEST(LRSchedulerErrors, StateDictsAreChecked)
{
    setup s;
    StepLR sched(*s.opt, 3);
    named_tensors dict = sched.state_dict();
    dict[0].second = scalar(2.0, float64);   // last_epoch
    dict[2].second = zeros({3}, float64);    // base_lrs
    dict.pop_back();                         // last_lr
    dict.emplace_back("gamma", scalar(0.1, float64));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "StepLR.load_state_dict: the state dict does not fit this scheduler: missing keys: last_lr; "
                         "unexpected keys: gamma; last_epoch: expected a 0-d int64 tensor, got () float64; base_lrs: "
                         "expected a float64 tensor of shape (2,) (one value per parameter group), got (3,) float64",
                         sched.load_state_dict(dict));
    EXPECT_EQ(sched.last_epoch(), 0);
    ReduceLROnPlateau plateau(*s.opt);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "ReduceLROnPlateau.load_state_dict: the state dict does not fit this scheduler: missing keys: "
                         "last_epoch, num_bad_epochs, cooldown_counter, best, last_lr",
                         plateau.load_state_dict({}));
}

TEST(LRSchedulerErrors, ConfigurationsTorchRejects)
{
    setup s;
    Optimizer& o = *s.opt;
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "LinearLR: expected a starting multiplicative factor between 0 and 1, got 1.5", LinearLR(o, 1.5));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "LinearLR: expected an ending multiplicative factor between 0 and 1, got -0.1",
                         LinearLR(o, 0.5, -0.1));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "StepLR: expected step_size > 0, got 0", StepLR(o, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "CosineAnnealingLR: expected T_max > 0, got 0", CosineAnnealingLR(o, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "OneCycleLR: define either total_steps or both epochs and steps_per_epoch",
                         OneCycleLR(o, OneCycleLROptions(0.1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "OneCycleLR: expected a positive total_steps, got -5",
                         OneCycleLR(o, OneCycleLROptions(0.1).total_steps(-5)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "OneCycleLR: expected a positive steps_per_epoch, got 0",
                         OneCycleLR(o, OneCycleLROptions(0.1).epochs(3)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "OneCycleLR: expected pct_start between 0 and 1, got 1.2",
                         OneCycleLR(o, OneCycleLROptions(0.1).total_steps(10).pct_start(1.2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "OneCycleLR: expected anneal_strategy 'cos' or 'linear', got 'exp'",
                         OneCycleLR(o, OneCycleLROptions(0.1).total_steps(10).anneal_strategy("exp")));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "OneCycleLR: expected 1 or 2 values for max_lr (one per parameter group), got 3",
                         OneCycleLR(o, OneCycleLROptions({0.1, 0.2, 0.3}).total_steps(10)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "ReduceLROnPlateau: expected factor < 1, got 1",
                         ReduceLROnPlateau(o, ReduceLROnPlateauOptions().factor(1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "ReduceLROnPlateau: expected mode 'min' or 'max', got 'lowest'",
                         ReduceLROnPlateau(o, ReduceLROnPlateauOptions().mode("lowest")));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "ReduceLROnPlateau: expected threshold_mode 'rel' or 'abs', got 'relative'",
                         ReduceLROnPlateau(o, ReduceLROnPlateauOptions().threshold_mode("relative")));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "ReduceLROnPlateau: expected 1 or 2 values for min_lr (one per parameter group), got 3",
                         ReduceLROnPlateau(o, ReduceLROnPlateauOptions().min_lr({0.1, 0.2, 0.3})));
    // Nothing was changed by the failed constructions.
    EXPECT_EQ(s.lrs(), (std::vector<double>{0.1, 0.05}));
}
