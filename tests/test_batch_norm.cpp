// batch_norm (functional): PyTorch 1.13 goldens of the output, every input gradient and the
// running-stat update (tests/fixtures/batch_norm/, generate_batch_norm.py) in training and eval,
// with and without affine and running stats, 2-d to 4-d inputs, float64 at 1e-10 and float32;
// gradcheck and gradgradcheck; the in-place update's version bump; the errors verbatim.
#include "golden_helpers.hpp"

#include <optional>

using namespace adjoint;

namespace
{
    const char* family = "batch_norm";

    struct golden_case
    {
        const char* name;
        bool training;
        bool affine;
        bool stats;
        double momentum;
    };

    // Runs one functional case from its fixtures: output and input gradients through
    // golden::expect_matches_golden, then the running stats the call left behind.
    void expect_case(const golden_case& c, double tol = 1e-10)
    {
        SCOPED_TRACE(c.name);
        const std::string n = c.name;
        Tensor rm, rv;
        if (c.stats)
        {
            rm = golden::fixture(family, n + "_rm0");
            rv = golden::fixture(family, n + "_rv0");
        }
        const std::size_t inputs = c.affine ? 3 : 1;
        if (tol == 1e-10)
        {
            golden::expect_matches_golden(family, n, inputs, [&](const tensor_list& xs) {
                return batch_norm(xs[0], rm, rv, c.affine ? xs[1] : Tensor(), c.affine ? xs[2] : Tensor(), c.training,
                                  c.momentum);
            });
        }
        else
        {
            const tensor_list xs = golden::fixture_inputs(family, n, inputs, true);
            const Tensor y = batch_norm(xs[0], rm, rv, xs[1], xs[2], c.training, c.momentum);
            EXPECT_TENSOR_NEAR(y, golden::fixture(family, n + "_y"), tol, tol);
            const tensor_list g = grad({y}, xs, {golden::fixture(family, n + "_gy")});
            for (std::size_t i = 0; i < inputs; ++i)
            {
                EXPECT_TENSOR_NEAR(g[i], golden::fixture(family, n + "_gx" + std::to_string(i)), tol, tol) << i;
            }
        }
        if (c.stats)
        {
            EXPECT_TENSOR_NEAR(rm, golden::fixture(family, n + "_rm"), tol, tol) << "running_mean";
            EXPECT_TENSOR_NEAR(rv, golden::fixture(family, n + "_rv"), tol, tol) << "running_var";
        }
    }

    Tensor channel_values(std::int64_t c, double lo, double step)
    {
        return golden::distinct({c}, lo, step);
    }
}

TEST(BatchNormGolden, TrainingForwardGradientsAndRunningStats)
{
    expect_case({"train", true, true, true, 0.1});
    expect_case({"train_2d", true, true, true, 0.1});
    expect_case({"train_3d", true, true, true, 0.3});
    expect_case({"train_two_values", true, true, true, 0.1});
}

TEST(BatchNormGolden, WithoutAffineOrRunningStats)
{
    expect_case({"train_noaffine", true, false, true, 0.1});
    expect_case({"train_nostats", true, true, false, 0.1});
    expect_case({"eval_noaffine", false, false, true, 0.1});
}

TEST(BatchNormGolden, EvalUsesRunningStatsAndLeavesThem)
{
    expect_case({"eval", false, true, true, 0.1});   // _rm / _rv equal _rm0 / _rv0: untouched
    EXPECT_TENSOR_NEAR(golden::fixture(family, "eval_rm"), golden::fixture(family, "eval_rm0"), 0.0, 0.0);
}

TEST(BatchNormGolden, Float32)
{
    expect_case({"train_f32", true, true, true, 0.1}, 1e-5);
}

TEST(BatchNormGradcheck, TrainingAndEval)
{
    const Tensor x = golden::irregular({3, 2, 3, 2}, -1.5, 2.0);
    const Tensor w = channel_values(2, 0.7, 0.6), b = channel_values(2, -0.2, 0.5);
    const Tensor rm = channel_values(2, 0.1, -0.3).detach(), rv = channel_values(2, 0.8, 0.9).detach();
    const tensor_fn train = [](const tensor_list& in) { return batch_norm(in[0], {}, {}, in[1], in[2], true); };
    const tensor_fn train_stats = [rm, rv](const tensor_list& in) {
        return batch_norm(in[0], rm, rv, in[1], in[2], true, 0.2);   // updating the stats changes nothing here
    };
    const tensor_fn eval = [rm, rv](const tensor_list& in) { return batch_norm(in[0], rm, rv, in[1], in[2], false); };
    const tensor_fn plain = [](const tensor_list& in) { return batch_norm(in[0], {}, {}, {}, {}, true); };
    EXPECT_GRADCHECK(train, {x, w, b});
    EXPECT_GRADCHECK(train_stats, {x, w, b});
    EXPECT_GRADCHECK(eval, {x, w, b});
    EXPECT_GRADCHECK(plain, {x});
    const tensor_fn rows = [](const tensor_list& in) { return batch_norm(in[0], {}, {}, in[1], {}, true); };
    EXPECT_GRADCHECK(rows, {golden::irregular({5, 3}), channel_values(3, 0.5, 0.4)});
}

TEST(BatchNormGradgradcheck, TrainingAndEval)
{
    const Tensor x = golden::irregular({2, 2, 2, 3}, -1.2, 1.9);
    const Tensor w = channel_values(2, 0.9, 0.4), b = channel_values(2, 0.3, -0.5);
    const Tensor rm = channel_values(2, -0.1, 0.2).detach(), rv = channel_values(2, 1.1, 0.3).detach();
    const tensor_fn train = [](const tensor_list& in) { return batch_norm(in[0], {}, {}, in[1], in[2], true); };
    const tensor_fn plain = [](const tensor_list& in) { return batch_norm(in[0], {}, {}, {}, {}, true); };
    const tensor_fn eval = [rm, rv](const tensor_list& in) { return batch_norm(in[0], rm, rv, in[1], in[2], false); };
    EXPECT_GRADGRADCHECK(train, {x, w, b});
    EXPECT_GRADGRADCHECK(plain, {x});
    EXPECT_GRADGRADCHECK(eval, {x, w, b});
}

TEST(BatchNorm, RunningStatsUpdateInPlaceAndBumpTheirVersion)
{
    Tensor rm = zeros({3}, float64), rv = ones({3}, float64);
    const Tensor rm_handle = rm;   // another handle to the same buffer sees the update
    const auto version = rm.data().version();
    const Tensor x = golden::fixture(family, "steps_x0");
    batch_norm(x, rm, rv, {}, {}, true, 0.1);
    EXPECT_GT(rm.data().version(), version);
    EXPECT_TENSOR_NEAR(rm_handle, golden::fixture(family, "m01_rm0"), 1e-12, 1e-12);
    EXPECT_TENSOR_NEAR(rv, golden::fixture(family, "m01_rv0"), 1e-12, 1e-12);
    EXPECT_FALSE(rm.requires_grad());
}

TEST(BatchNorm, MomentumNulloptIsACumulativeAverage)
{
    Tensor rm = zeros({3}, float64), rv = ones({3}, float64);
    Tensor count = zeros({}, int64);
    for (int k = 0; k < 3; ++k)
    {
        count.fill_(count.item() + 1.0);
        batch_norm(golden::fixture(family, "steps_x" + std::to_string(k)), rm, rv, {}, {}, true, std::nullopt, 1e-5,
                   count);
        EXPECT_TENSOR_NEAR(rm, golden::fixture(family, "mnone_rm" + std::to_string(k)), 1e-10, 1e-10) << k;
        EXPECT_TENSOR_NEAR(rv, golden::fixture(family, "mnone_rv" + std::to_string(k)), 1e-10, 1e-10) << k;
    }
}

TEST(BatchNorm, EvalBackwardUsesTheStatsOfItsForward)
{
    // The eval node keeps its own copy of the running stats: a later training step that
    // updates them in place neither breaks nor changes this backward.
    Tensor rm = channel_values(2, 0.1, 0.2).detach(), rv = channel_values(2, 0.5, 0.5).detach();
    const Tensor x = golden::irregular({2, 2, 2, 2});
    const Tensor y = batch_norm(x, rm, rv, {}, {}, false);
    const Tensor expected = grad({sum(y * y)}, {x}, {}, true)[0];
    batch_norm(x * 3.0, rm, rv, {}, {}, true, 0.5);
    EXPECT_TENSOR_NEAR(grad({sum(y * y)}, {x})[0], expected, 0.0, 0.0);
}

TEST(BatchNormErrors, MessagesNameTheProblem)
{
    const Tensor x = zeros({2, 3, 4, 4});
    const Tensor c3 = zeros({3}), c4 = zeros({4});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected more than 1 value per channel when training, got input size (1, 3, 1, 1)",
                         batch_norm(zeros({1, 3, 1, 1}), {}, {}, {}, {}, true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected running_mean of shape (3,) for an input with 3 channels (input size "
                         "(2, 3, 4, 4)), got (4,)",
                         batch_norm(x, c4, c4, {}, {}, true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected weight of shape (3,) for an input with 3 channels (input size "
                         "(2, 3, 4, 4)), got (4,)",
                         batch_norm(x, c3, ones({3}), c4, {}, true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected bias of shape (3,) for an input with 3 channels (input size "
                         "(2, 3, 4, 4)), got (3, 1)",
                         batch_norm(x, {}, {}, {}, zeros({3, 1}), true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected running_mean and running_var in evaluation mode (training = false), "
                         "got none; pass training = true to normalise with the batch statistics",
                         batch_norm(x, {}, {}, {}, {}, false));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected running_mean and running_var both given or both undefined, got "
                         "running_mean only",
                         batch_norm(x, c3, {}, {}, {}, true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: expected an input of at least 2 dimensions [N, C, ...], got size (3,)",
                         batch_norm(zeros({3}), {}, {}, {}, {}, true));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: momentum = nullopt (a cumulative average) needs num_batches_tracked, a "
                         "one-element count of the batches seen including this one, got none",
                         batch_norm(x, c3, ones({3}), {}, {}, true, std::nullopt));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "batch_norm: num_batches_tracked must count this batch too (>= 1) when momentum = nullopt, "
                         "got 0",
                         batch_norm(x, c3, ones({3}), {}, {}, true, std::nullopt, 1e-5, zeros({}, int64)));
    // Eval accepts one value per channel: only the batch statistics need more.
    EXPECT_TENSOR_SHAPE(batch_norm(zeros({1, 3, 1, 1}), c3, ones({3}), {}, {}, false), {1, 3, 1, 1});
}

TEST(BatchNormErrors, DtypesMustAgree)
{
    try
    {
        batch_norm(zeros({2, 3, 4, 4}, float64), zeros({3}), ones({3}), {}, {}, true);
        FAIL() << "expected an exception";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_EQ(std::string(e.what()).rfind("batch_norm: ", 0), 0u) << e.what();
    }
}
