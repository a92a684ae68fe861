// U-Net skip connections with odd sizes, against PyTorch 1.13 (tests/fixtures/unet_cat_pad/,
// generate_unet_cat_pad.py): a 2x-upsampled 16x16 map joined with a 17x17 or 19x19 skip by
// center-cropping the skip (pad with negative widths) or padding the upsampled map, with
// torch's F.pad(x, [d // 2, d - d // 2, ...]) idiom; values and the gradients of both branches
// at 1e-10; and cat's message when the spatial sizes were left unmatched.
#include "golden_helpers.hpp"

using namespace adjoint;

namespace
{
    Tensor joined(const tensor_list& in, bool crop, const std::string& mode)
    {
        const Tensor up = interpolate(in[0], interpolate_options().scale_factor(2).mode(mode));
        const std::int64_t d = in[1].size(2) - up.size(2);
        if (crop)
        {
            // -(d // 2), -(d - d // 2): the skip loses floor(d/2) rows on top, the rest at the bottom.
            return cat({pad(in[1], {-(d / 2), -(d - d / 2), -(d / 2), -(d - d / 2)}), up}, 1);
        }
        return cat({in[1], pad(up, {d / 2, d - d / 2, d / 2, d - d / 2})}, 1);   // d >= 0 here
    }
}

TEST(UNetCatPad, CropTheSkipOrPadTheUpsampledMapLikeTorch)
{
    for (const auto& [name, crop, mode] : {std::tuple<const char*, bool, const char*>{"crop17_nearest", true, "nearest"},
                                           {"pad17_nearest", false, "nearest"},
                                           {"crop19_bilinear", true, "bilinear"},
                                           {"pad19_bilinear", false, "bilinear"}})
    {
        const bool c = crop;
        const std::string m = mode;
        golden::expect_matches_golden("unet_cat_pad", name, 2,
                                      [c, m](const tensor_list& in) { return joined(in, c, m); });
    }
}

TEST(UNetCatPad, GradientsFlowThroughBothBranches)
{
    const Tensor x = golden::irregular({1, 2, 3, 3}), skip = golden::irregular({1, 1, 7, 7}, -0.5, 0.8);
    for (const bool crop : {true, false})
    {
        const tensor_fn fn = [crop](const tensor_list& in) { return joined(in, crop, "bilinear"); };
        EXPECT_GRADCHECK(fn, {x, skip});
        const tensor_list g = grad({sum(fn({x, skip}))}, {x, skip});
        // Every upsampled value reaches the output either way; cropping drops the skip's border.
        EXPECT_EQ(sum(g[0]).item(), 2.0 * 36.0);   // 2 channels of 6x6
        EXPECT_EQ(sum(g[1]).item(), crop ? 36.0 : 49.0);
    }
}

TEST(UNetCatPad, UnmatchedSkipNamesTheAxisAndTheFix)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: tensors must have the same shape except along axis 1, got (1, 3, 17, 17) and "
                         "(1, 8, 16, 16) (tensor 1); they differ along axis 2 (17 vs 16): crop or pad one to match "
                         "first (pad with negative amounts crops)",
                         cat({zeros({1, 3, 17, 17}), zeros({1, 8, 16, 16})}, 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: tensors must have the same shape except along axis 1, got (2, 3, 16, 16) and "
                         "(1, 8, 16, 16) (tensor 1); they differ along axis 0 (2 vs 1): crop or pad one to match "
                         "first (pad with negative amounts crops)",
                         cat({zeros({2, 3, 16, 16}), zeros({1, 8, 16, 16})}, 1));
}
