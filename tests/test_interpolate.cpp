// interpolate against PyTorch 1.13 (the interpolate cases of tests/fixtures/pooling/manifest.txt:
// nearest and bilinear, size or scale_factor incl. 1.5, 1.7 and downsampling, align_corners
// both ways, recompute_scale_factor), gradcheck and gradgradcheck of both modes, and every
// argument PyTorch rejects, with verbatim messages.
#include "pooling_manifest.hpp"
#include "golden_helpers.hpp"

#include <adjoint/testing/testing.hpp>

using namespace adjoint;
using namespace pooling_golden;

TEST(InterpolateGolden, EveryCaseForwardAndGradient)
{
    const auto cases = load_manifest("interpolate");
    ASSERT_GE(cases.size(), 15u);
    for (const auto& c : cases)
    {
        SCOPED_TRACE("golden case " + c.name + " mode=" + c.fields.at("mode"));
        Tensor x = fixture(c, "x").requires_grad_();
        Tensor y = run(c, x);
        EXPECT_TENSOR_NEAR(y, fixture(c, "y"), 1e-10, 1e-10);
        const tensor_list gx = grad({y}, {x}, {fixture(c, "gy")});
        EXPECT_TENSOR_NEAR(gx[0], fixture(c, "gx"), 1e-10, 1e-10);
        EXPECT_TENSOR_NEAR(run(c, fixture(c, "x").to(float32)).to(float64), fixture(c, "y"), 1e-4, 1e-4);
    }
}

TEST(Interpolate, NearestWithScaleUsesOneOverScaleNotTheSizeRatio)
{
    // 7 rows at scale 0.7 -> 4 rows. PyTorch samples floor(o / 0.7) = 0 1 2 4; from the sizes
    // (recompute_scale_factor, or size given) it is floor(o * 7/4) = 0 1 3 5.
    Tensor x = reshape(arange(7.0, float64), {1, 1, 7, 1});
    Tensor by_scale = interpolate(x, interpolate_options().scale_factor(0.7, 1.0));
    EXPECT_TENSOR_NEAR(by_scale, from_vector({0, 1, 2, 4}, {1, 1, 4, 1}, float64), 0.0, 0.0);
    Tensor recomputed = interpolate(x, interpolate_options().scale_factor(0.7, 1.0).recompute_scale_factor(true));
    EXPECT_TENSOR_NEAR(recomputed, from_vector({0, 1, 3, 5}, {1, 1, 4, 1}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(interpolate(x, interpolate_options().size(4, 1)), recomputed, 0.0, 0.0);
}

TEST(Interpolate, NearestBackwardSumsIntoTheSourcePixel)
{
    Tensor x = golden::distinct({1, 1, 2, 2});
    Tensor y = interpolate(x, interpolate_options().scale_factor(2.0));   // each source pixel read 4 times
    const tensor_list g = grad({sum(y)}, {x});
    EXPECT_TENSOR_NEAR(g[0], full({1, 1, 2, 2}, 4.0, float64), 0.0, 0.0);
}

TEST(InterpolateGradcheck, BothModes)
{
    const std::vector<interpolate_options> configs = {
        interpolate_options().scale_factor(2.0),
        interpolate_options().scale_factor(1.5, 0.6),
        interpolate_options().size(5, 2),
        interpolate_options().mode("bilinear").scale_factor(2.0),
        interpolate_options().mode("bilinear").scale_factor(1.5, 0.6).align_corners(true),
        interpolate_options().mode("bilinear").size(2, 7).align_corners(false),
        interpolate_options().mode("bilinear").size(1, 4).align_corners(true),
    };
    for (std::size_t i = 0; i < configs.size(); ++i)
    {
        SCOPED_TRACE("config " + std::to_string(i));
        const interpolate_options o = configs[i];
        auto fn = [o](const tensor_list& in) { return interpolate(in[0], o); };
        Tensor x = golden::irregular({2, 2, 3, 4});
        EXPECT_GRADCHECK(fn, {x});
        if (o.mode() == "bilinear" || i == 1)
        {
            EXPECT_GRADGRADCHECK(fn, {x});
        }
    }
}

TEST(InterpolateBackward, IsTheAdjointAndItsBackwardIsTheForward)
{
    // <interpolate(x), gy> = <x, gx>, and the gradient of gx in gy is interpolate again.
    const interpolate_options o = interpolate_options().mode("bilinear").scale_factor(1.5, 2.5);
    Tensor x = golden::irregular({1, 2, 3, 3});
    Tensor y = interpolate(x, o);
    Tensor gy = golden::distinct(y.shape());
    Tensor gx = grad({y}, {x}, {gy}, /*retain_graph=*/false, /*create_graph=*/true)[0];
    EXPECT_NEAR(sum(y * gy).item(), sum(x * gx).item(), 1e-12);
    Tensor v = golden::irregular(x.shape(), -0.5, 0.7);
    const tensor_list ggy = grad({sum(gx * v)}, {gy});
    EXPECT_TENSOR_NEAR(ggy[0], interpolate(v, o), 1e-14, 1e-14);
}

TEST(InterpolateErrors, AsPyTorchRejects)
{
    Tensor x = zeros({1, 1, 2, 2}, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "interpolate: expected only one of size and scale_factor, got both",
                         interpolate(x, interpolate_options().size(3).scale_factor(2.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "interpolate: expected one of size or scale_factor, got neither",
                         interpolate(x, interpolate_options()));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "interpolate: input and output sizes must be > 0, got input (H, W) = (2, 2) and output (H, W) = (0, 3)",
                         interpolate(x, interpolate_options().size(0, 3)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "interpolate: input and output sizes must be > 0, got input (H, W) = (2, 2) and output (H, W) = (-2, -2)",
                         interpolate(x, interpolate_options().scale_factor(-1.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "interpolate: input and output sizes must be > 0, got input (H, W) = (2, 2) and output (H, W) = (1, 0)",
                         interpolate(x, interpolate_options().scale_factor(0.5, 0.4)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "interpolate: align_corners can only be set with mode=\"bilinear\", got mode=\"nearest\"; leave it unset",
                         interpolate(x, interpolate_options().size(3).align_corners(false)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "interpolate: mode must be \"nearest\" or \"bilinear\", got \"bicubic\"",
                         interpolate(x, interpolate_options().size(3).mode("bicubic")));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "interpolate: expected an input of rank 4 (N, C, H, W), got shape (1, 2, 2) (rank 3); for an "
                         "unbatched (C, H, W) image add the batch axis with unsqueeze(x, 0)",
                         interpolate(zeros({1, 2, 2}, float64), interpolate_options().size(3).mode("bilinear")));
    for (const char* mode : {"nearest", "bilinear"})
    {
        EXPECT_THROW_MESSAGE(std::invalid_argument,
                             "interpolate: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                             interpolate(x.to(int64), interpolate_options().size(3).mode(mode)));
    }
}
