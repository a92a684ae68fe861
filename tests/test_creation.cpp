// Tensor creation: constants, arange, nested lists (ragged ones rejected), and the global
// random generator — reproducible from a seed, the same sequence in both dtypes, with the
// moments its distributions should have.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <random>
#include <string>

using namespace adjoint;

namespace
{

    struct moments
    {
        double mean = 0.0, var = 0.0, min = INFINITY, max = -INFINITY;
    };

    moments moments_of(const Tensor& t)
    {
        moments m;
        const auto v = t.to_vector();
        for (double x : v)
        {
            m.mean += x / static_cast<double>(v.size());
            m.min = std::min(m.min, x);
            m.max = std::max(m.max, x);
        }
        for (double x : v)
        {
            m.var += (x - m.mean) * (x - m.mean) / static_cast<double>(v.size());
        }
        return m;
    }
} // namespace

// ---- constants ----

TEST(Creation, Constants)
{
    EXPECT_EQ(zeros({2, 3}).to_vector(), std::vector<double>(6, 0.0));
    EXPECT_EQ(ones({3}, float64).to_vector(), std::vector<double>(3, 1.0));
    EXPECT_EQ(full({2}, -2.5).to_vector(), (std::vector<double>{-2.5, -2.5}));
    EXPECT_EQ(zeros({2, 3}).dtype(), float32);
    EXPECT_EQ(ones({2}, float64).dtype(), float64);
    EXPECT_TENSOR_SHAPE(scalar(4.0), {});
    EXPECT_EQ(scalar(4.0).item(), 4.0);
    Tensor x = ones({2, 2}, float64).requires_grad_();
    EXPECT_TENSOR_SHAPE(zeros_like(x), {2, 2});
    EXPECT_EQ(zeros_like(x).dtype(), float64);
    EXPECT_FALSE(ones_like(x).requires_grad());
    EXPECT_FALSE(zeros({1}).requires_grad());
    EXPECT_THROW_MESSAGE(std::invalid_argument, "array: dimensions must be non-negative, got shape (2, -1)",
                         zeros({2, -1}));
}

// ---- arange ----

TEST(Arange, Values)
{
    EXPECT_EQ(arange(5.0).to_vector(), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(arange(2.0, 5.0).to_vector(), (std::vector<double>{2, 3, 4}));
    EXPECT_EQ(arange(1.0, 2.0, 0.25, float64).to_vector(), (std::vector<double>{1.0, 1.25, 1.5, 1.75}));
    EXPECT_EQ(arange(5.0, 0.0, -2.0).to_vector(), (std::vector<double>{5, 3, 1}));
    EXPECT_EQ(arange(0.0, 1.0, 0.3, float64).numel(), 4); // ceil(1 / 0.3): 0, 0.3, 0.6, 0.9
    EXPECT_TENSOR_SHAPE(arange(3.0, 3.0), {0});
    EXPECT_TENSOR_SHAPE(arange(0.0), {0});
    EXPECT_EQ(arange(4.0).dtype(), float32);
    EXPECT_EQ(arange(4.0, float64).dtype(), float64);
    // Each value is start + i * step, so a long range does not drift.
    EXPECT_EQ(arange(0.0, 1000.0, 0.1, float64).to_vector()[9999], 999.9000000000001);
}

TEST(Arange, Errors)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "arange: step must be nonzero and point from start towards end, got start=0, "
                         "end=5, step=0",
                         arange(0.0, 5.0, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "arange: step must be nonzero and point from start towards end, got start=0, "
                         "end=5, step=-1",
                         arange(0.0, 5.0, -1.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "arange: step must be nonzero and point from start towards end, got start=0, "
                         "end=-1, step=1",
                         arange(-1.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "arange: start, end and step must be finite, got start=0, end=inf, step=1",
                         arange(0.0, INFINITY));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "arange: the range must hold at most 2^53 values, got start=0, end=1e+300, "
                         "step=1e-300",
                         arange(0.0, 1e300, 1e-300));
}

// ---- nested lists ----

TEST(FromValues, NestedListsGiveTheShape)
{
    Tensor v = tensor({1, 2, 3});
    EXPECT_TENSOR_SHAPE(v, {3});
    Tensor m = tensor({{1, 2, 3}, {4, 5, 6}}, float64);
    EXPECT_TENSOR_SHAPE(m, {2, 3});
    EXPECT_EQ(m.to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(m.dtype(), float64);
    Tensor c = tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {{9, 10}, {11, 12}}});
    EXPECT_TENSOR_SHAPE(c, {3, 2, 2});
    EXPECT_EQ(c.to_vector()[7], 8.0);
    Tensor h = tensor({{{{1, 2, 3}}}, {{{4, 5, 6}}}});
    EXPECT_TENSOR_SHAPE(h, {2, 1, 1, 3});
    EXPECT_EQ(from_vector({1, 2, 3, 4, 5, 6}, {3, 2}).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(FromValues, RaggedListsAreRejected)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 1 expected 2 elements, "
                         "got 3",
                         tensor({{1, 2}, {3, 4, 5}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 1 expected 2 elements, "
                         "got 1",
                         tensor({{{1, 2}, {3, 4}}, {{5, 6}}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 2 expected 2 elements, "
                         "got 1",
                         tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "array: 3 values cannot fill shape (2, 2) (4 elements)",
                         from_vector({1, 2, 3}, {2, 2}));
}

// ---- random ----

TEST(Random, SameSeedSameValuesAndTheSequenceContinues)
{
    manual_seed(7);
    const auto a = rand({5}, float64).to_vector();
    const auto b = rand({3}, float64).to_vector();
    manual_seed(7);
    EXPECT_EQ(rand({5}, float64).to_vector(), a);
    EXPECT_EQ(rand({3}, float64).to_vector(), b);
    manual_seed(7);
    const auto joined = rand({8}, float64).to_vector(); // one call of 8 == calls of 5 and 3
    EXPECT_EQ(std::vector<double>(joined.begin(), joined.begin() + 5), a);
    EXPECT_EQ(std::vector<double>(joined.begin() + 5, joined.end()), b);
    manual_seed(8);
    EXPECT_NE(rand({5}, float64).to_vector(), a);
    manual_seed(7);
    const auto z = randn({2, 3}, float64).to_vector();
    manual_seed(7);
    EXPECT_EQ(randn({2, 3}, float64).to_vector(), z);
}

TEST(Random, DrawsAreThoseOfTheDocumentedAlgorithm)
{
    // mt19937_64's sequence is fixed by the C++ standard; rand takes the top 53 bits of each
    // draw, so these values are the same on every platform and in every run.
    manual_seed(12345);
    const auto got = rand({4}, float64).to_vector();
    std::mt19937_64 reference(12345);
    for (double v : got)
    {
        EXPECT_EQ(v, static_cast<double>(reference() >> 11) * 0x1.0p-53);
    }
    // randn: Box-Muller on the next two draws.
    manual_seed(12345);
    const auto z = randn({2}, float64).to_vector();
    std::mt19937_64 again(12345);
    const double u1 = 1.0 - static_cast<double>(again() >> 11) * 0x1.0p-53;
    const double u2 = static_cast<double>(again() >> 11) * 0x1.0p-53;
    const double two_pi = 2.0 * 3.14159265358979323846;
    EXPECT_DOUBLE_EQ(z[0], std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2));
    EXPECT_DOUBLE_EQ(z[1], std::sqrt(-2.0 * std::log(u1)) * std::sin(two_pi * u2));
}

TEST(Random, DtypeDoesNotChangeTheSequence)
{
    for (auto draw :
         {+[](adjoint::dtype dt) { return rand({1001}, dt); }, +[](adjoint::dtype dt) { return randn({1001}, dt); },
          +[](adjoint::dtype dt) { return uniform({1001}, -3.0, 5.0, dt); }})
    {
        manual_seed(99);
        Tensor d = draw(float64);
        manual_seed(99);
        Tensor f = draw(float32);
        EXPECT_EQ(f.dtype(), float32);
        EXPECT_TENSOR_NEAR(f.to(float64), d.to(float32).to(float64), 0.0, 0.0);
    }
}

TEST(Random, MomentsAndRanges)
{
    manual_seed(2024);
    const moments u = moments_of(rand({200000}, float64));
    EXPECT_NEAR(u.mean, 0.5, 0.005);
    EXPECT_NEAR(u.var, 1.0 / 12.0, 0.002);
    EXPECT_GE(u.min, 0.0);
    EXPECT_LT(u.max, 1.0);
    EXPECT_LT(u.min, 0.001); // the whole interval is covered
    EXPECT_GT(u.max, 0.999);

    const moments n = moments_of(randn({200000}, float64));
    EXPECT_NEAR(n.mean, 0.0, 0.01);
    EXPECT_NEAR(n.var, 1.0, 0.02);
    EXPECT_LT(n.min, -3.5);
    EXPECT_GT(n.max, 3.5);

    const moments w = moments_of(uniform({200000}, -2.0, 6.0, float32));
    EXPECT_NEAR(w.mean, 2.0, 0.04);
    EXPECT_NEAR(w.var, 64.0 / 12.0, 0.1);
    EXPECT_GE(w.min, -2.0);
    EXPECT_LT(w.max, 6.0);
    // An odd count of normals still fills every element.
    EXPECT_TENSOR_SHAPE(randn({3, 3}), {3, 3});
    EXPECT_FALSE(rand({2}).requires_grad());
}

TEST(Random, Float32StaysInsideHalfOpenInterval)
{
    // float32 spacing near 1 is 1.19e-7, so about half of these draws round up to
    // 1.00000012f, beyond high; they must step back inside [low, high).
    manual_seed(5);
    const moments m = moments_of(uniform({1000}, 1.0, 1.0 + 1e-7, float32));
    EXPECT_GE(m.min, 1.0);
    EXPECT_LT(m.max, 1.0 + 1e-7);
    manual_seed(5);
    EXPECT_LT(moments_of(rand({1 << 16}, float32)).max, 1.0);
    EXPECT_EQ(uniform({4}, 2.0, 2.0).to_vector(), std::vector<double>(4, 2.0)); // low == high: a constant
}

TEST(Random, UniformErrors)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "uniform: low and high must be finite with low <= high, got low=1, high=0",
                         uniform({2}, 1.0, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "uniform: low and high must be finite with low <= high, got low=0, high=inf",
                         uniform({2}, 0.0, INFINITY));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "uniform: low and high must be finite with low <= high, got low=-1e+308, "
                         "high=1e+308",
                         uniform({2}, -1e308, 1e308));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "array: dimensions must be non-negative, got shape (-1,)", rand({-1}));
}
