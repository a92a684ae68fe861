// max_pool2d (values, indices, input gradient), avg_pool2d and adaptive_avg_pool2d against
// PyTorch 1.13 (tests/fixtures/generate_pooling.py) for every case of the manifest, in
// float64 at 1e-10 and in float32 (inputs cast) at ~1e-4 relative. The interpolate cases
// of the same manifest are checked in test_interpolate.cpp.
#include "pooling_manifest.hpp"

#include <adjoint/testing/testing.hpp>

using namespace adjoint;
using namespace pooling_golden;

namespace
{
    void expect_case_matches(const golden_case& c)
    {
        SCOPED_TRACE("golden case " + c.name + " (" + c.op + ")");
        Tensor x = fixture(c, "x").requires_grad_();
        Tensor y = run(c, x);
        EXPECT_TENSOR_NEAR(y, fixture(c, "y"), 1e-10, 1e-10);
        const tensor_list gx = grad({y}, {x}, {fixture(c, "gy")});
        EXPECT_TENSOR_NEAR(gx[0], fixture(c, "gx"), 1e-10, 1e-10);

        // float32: the same values up to float rounding.
        Tensor y32 = run(c, fixture(c, "x").to(float32));
        EXPECT_EQ(y32.dtype(), float32);
        EXPECT_TENSOR_NEAR(y32.to(float64), fixture(c, "y"), 1e-4, 1e-4);
    }

    void expect_all_match(const std::string& op, std::size_t at_least)
    {
        const auto cases = load_manifest(op);
        ASSERT_GE(cases.size(), at_least) << "manifest missing or short for " << op;
        for (const auto& c : cases)
        {
            expect_case_matches(c);
        }
    }
}

TEST(PoolingGolden, MaxPool2dValuesAndGradients) { expect_all_match("max_pool2d", 20); }

TEST(PoolingGolden, MaxPool2dIndicesAreTorchsIncludingTies)
{
    std::size_t with_ties = 0;
    for (const auto& c : load_manifest("max_pool2d"))
    {
        SCOPED_TRACE("golden case " + c.name);
        const values_and_indices r = max_pool2d_with_indices(fixture(c, "x"), max_options(c));
        const Tensor expected = fixture(c, "idx");
        ASSERT_EQ(r.indices.dtype(), int64);
        ASSERT_EQ(expected.dtype(), int64);
        EXPECT_TENSOR_NEAR(r.indices, expected, 0.0, 0.0);
        EXPECT_TENSOR_NEAR(r.values, fixture(c, "y"), 0.0, 0.0);   // a max is one of the inputs: exact
        with_ties += c.flag("ties") ? 1 : 0;
    }
    EXPECT_GE(with_ties, 4u);   // integer-valued inputs, where the first-maximum rule decides
}

TEST(PoolingGolden, AvgPool2dValuesAndGradients) { expect_all_match("avg_pool2d", 20); }

TEST(PoolingGolden, AdaptiveAvgPool2dValuesAndGradients) { expect_all_match("adaptive_avg_pool2d", 5); }
