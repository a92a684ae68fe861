// Gradient clipping against PyTorch 1.13 (tests/fixtures/generate_optim.py): clip_grad_norm_
// of orders 2, 1, 3.5 and infinity (the returned total norm and the scaled gradients, at 1e-12),
// the no-op case, clip_grad_value_, skipped parameters and the errors.
#include "optim_helpers.hpp"

#include <cmath>

using namespace adjoint;
using namespace adjoint::optim;

namespace
{
    // Three float64 parameters holding the generator's gradients.
    tensor_list with_grads(adjoint::dtype dt = float64)
    {
        tensor_list ps;
        for (int i = 0; i < 3; ++i)
        {
            const Tensor g = golden::fixture("optim", "clip_g" + std::to_string(i)).to(dt);
            Tensor p = zeros_like(g).requires_grad_();
            p.set_grad(Tensor(g.data().clone()));
            ps.push_back(p);
        }
        return ps;
    }

    void expect_grads(const tensor_list& ps, const std::string& name, double tol = 1e-12)
    {
        for (std::size_t i = 0; i < ps.size(); ++i)
        {
            EXPECT_TENSOR_NEAR(ps[i].grad().to(float64), golden::fixture("optim", "clip_" + name + "_g" + std::to_string(i)),
                               tol, tol)
                << name << " gradient " << i;
        }
    }
}

TEST(ClipGradGolden, NormOfEachOrder)
{
    const std::vector<std::tuple<std::string, double, double>> cases = {
        {"norm2", 1.5, 2.0}, {"norm2_large", 100.0, 2.0}, {"norm1", 2.0, 1.0}, {"norm3_5", 0.5, 3.5}, {"norm_inf", 0.7, inf}};
    for (const auto& [name, max_norm, order] : cases)
    {
        SCOPED_TRACE(name);
        tensor_list ps = with_grads();
        const Tensor total = clip_grad_norm_(ps, max_norm, order);
        EXPECT_EQ(total.dtype(), float64);
        EXPECT_TENSOR_NEAR(total, golden::fixture("optim", "clip_" + name + "_norm"), 1e-12, 1e-12);
        expect_grads(ps, name);
    }
}

TEST(ClipGradGolden, Float32)
{
    tensor_list ps = with_grads(float32);
    const Tensor total = clip_grad_norm_(ps, 1.5);
    EXPECT_EQ(total.dtype(), float32);
    EXPECT_TENSOR_NEAR(total.to(float64), golden::fixture("optim", "clip_norm2_norm"), 1e-5, 1e-5);
    expect_grads(ps, "norm2", 1e-5);
}

TEST(ClipGradGolden, Value)
{
    tensor_list ps = with_grads();
    clip_grad_value_(ps, 0.6);
    expect_grads(ps, "value");
}

TEST(ClipGrad, ParametersWithoutGradientsAreSkipped)
{
    tensor_list ps = with_grads();
    Tensor none = zeros({2}, float64).requires_grad_();
    ps.push_back(none);
    const Tensor total = clip_grad_norm_(ps, 1.5);
    EXPECT_TENSOR_NEAR(total, golden::fixture("optim", "clip_norm2_norm"), 1e-12, 1e-12);
    EXPECT_FALSE(none.grad().defined());
    clip_grad_value_(ps, 0.1);
    EXPECT_FALSE(none.grad().defined());
    const Tensor nothing = clip_grad_norm_({none}, 1.0);
    EXPECT_EQ(nothing.item(), 0.0);
    EXPECT_EQ(nothing.dim(), 0);
}

TEST(ClipGrad, TheGradientIsScaledInPlace)
{
    tensor_list ps = with_grads();
    const Tensor held = ps[0].grad();
    clip_grad_norm_(ps, 1.5);
    EXPECT_TENSOR_NEAR(held, golden::fixture("optim", "clip_norm2_g0"), 1e-12, 1e-12);
}

TEST(ClipGradErrors, NonFiniteNormsAndBadArguments)
{
    tensor_list ps = with_grads();
    Tensor p = zeros({2}, float64).requires_grad_();
    p.set_grad(tensor({1.0, INFINITY}, float64));
    ps.push_back(p);
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "clip_grad_norm_: the total norm of order 2 of the gradients is non-finite (inf), so it cannot "
                         "be clipped; pass error_if_nonfinite = false to scale the gradients by it anyway",
                         clip_grad_norm_(ps, 1.0, 2.0, true));
    expect_grads({ps[0], ps[1], ps[2]}, "norm2_large");   // unscaled: the golden of the no-op case
    // Without the check, torch scales by max_norm / inf = 0 (and inf * 0 = nan).
    const Tensor total = clip_grad_norm_(ps, 1.0);
    EXPECT_TRUE(std::isinf(total.item()));
    EXPECT_EQ(ps[0].grad().to_vector(), std::vector<double>(12, 0.0));
    EXPECT_TRUE(std::isnan(p.grad().to_vector()[1]));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "clip_grad_norm_: expected norm_type > 0 (or infinity), got 0",
                         clip_grad_norm_(ps, 1.0, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "clip_grad_value_: expected clip_value >= 0, got -1",
                         clip_grad_value_(ps, -1.0));
}
