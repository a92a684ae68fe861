// Initialisers (layers/init.hpp): PyTorch's gain table and fans, the spread of every random
// fill against its formula on large tensors (bounds of a few standard errors, so a wrong gain,
// fan or distribution fails), orthogonality of orthogonal_ for tall, wide, square and
// higher-rank shapes, in-place writes that other handles and version counters see, and the
// argument errors.
#include "golden_helpers.hpp"

#include <cmath>
#include <limits>

using namespace adjoint;
using namespace golden;

namespace
{
    struct moments
    {
        double mean, std, max_abs;
    };

    moments moments_of(const Tensor& t)
    {
        const Tensor x = t.to(float64).detach();
        const double m = mean(x).item();
        return {m, std::sqrt(mean((x - m) * (x - m)).item()), max(abs(x)).item()};
    }

    // n draws: the sample std of a normal has relative standard error ~ 1/sqrt(2n) (about
    // 0.001 here), a uniform's ~ 0.9/sqrt(n); 1% is several standard errors and well inside
    // any factor a wrong rule would give (sqrt(2) for the wrong fan, sqrt(3) for the wrong
    // distribution).
    void expect_normal(const Tensor& t, double mean, double std)
    {
        const moments m = moments_of(t);
        EXPECT_NEAR(m.mean, mean, 5.0 * std / std::sqrt(static_cast<double>(t.numel())));
        EXPECT_NEAR(m.std / std, 1.0, 0.01);
        // A normal sample of this size reaches past 4 standard deviations; a uniform one cannot.
        EXPECT_GT(m.max_abs, std::abs(mean) + 4.0 * std);
    }

    void expect_uniform(const Tensor& t, double bound)
    {
        const moments m = moments_of(t);
        EXPECT_LE(m.max_abs, bound);
        EXPECT_GT(m.max_abs, 0.999 * bound);
        EXPECT_NEAR(m.mean, 0.0, 5.0 * bound / std::sqrt(3.0 * static_cast<double>(t.numel())));
        EXPECT_NEAR(m.std / (bound / std::sqrt(3.0)), 1.0, 0.01);
    }

    Tensor eye_like_float32(std::int64_t k)
    {
        std::vector<double> v(static_cast<std::size_t>(k * k), 0.0);
        for (std::int64_t i = 0; i < k; ++i)
        {
            v[static_cast<std::size_t>(i * k + i)] = 1.0;
        }
        return from_vector(v, {k, k});
    }
} // namespace

TEST(Init, CalculateGainTable)
{
    // torch.nn.init.calculate_gain (checked with torch 1.13).
    for (const char* unit : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                             "conv_transpose3d", "sigmoid"})
    {
        EXPECT_EQ(init::calculate_gain(unit), 1.0) << unit;
    }
    EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 5.0 / 3.0);
    EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
    EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), 1.4141428569978354);   // default slope 0.01
    EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", 0.2), std::sqrt(2.0 / 1.04));
    EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", 0.0), std::sqrt(2.0));
    EXPECT_EQ(init::calculate_gain("selu"), 0.75);
    EXPECT_EQ(init::calculate_gain("relu", 123.0), std::sqrt(2.0));   // param only matters for leaky_relu
}

TEST(Init, KaimingFollowsGainAndFan)
{
    // [1000, 500]: fan_in 500, fan_out 1000.
    manual_seed(1);
    Tensor w = zeros({1000, 500}, float64);
    init::kaiming_normal_(w);
    expect_normal(w, 0.0, std::sqrt(2.0 / 500.0));
    init::kaiming_normal_(w, 0.0, init::fan_mode::fan_out);
    expect_normal(w, 0.0, std::sqrt(2.0 / 1000.0));
    init::kaiming_normal_(w, 0.0, init::fan_mode::fan_in, "tanh");
    expect_normal(w, 0.0, 5.0 / 3.0 / std::sqrt(500.0));
    init::kaiming_uniform_(w, std::sqrt(5.0));
    expect_uniform(w, 1.0 / std::sqrt(500.0));   // a = sqrt(5): the layers' default
    init::kaiming_uniform_(w, 0.0, init::fan_mode::fan_out, "relu");
    expect_uniform(w, std::sqrt(6.0 / 1000.0));
    EXPECT_DOUBLE_EQ(init::kaiming_std({8, 4, 3, 3}, 0.0, init::fan_mode::fan_in, "selu"), 0.75 / 6.0);
    // Conv weights: the receptive field multiplies both fans. [64, 32, 5, 5]: fan_in 800.
    Tensor c = zeros({64, 32, 5, 5});
    init::kaiming_normal_(c, 0.0, init::fan_mode::fan_in, "relu");
    expect_normal(c, 0.0, std::sqrt(2.0 / 800.0));
}

TEST(Init, XavierNormalUniformAndConstants)
{
    manual_seed(2);
    Tensor w = zeros({300, 700}, float64);
    init::xavier_normal_(w);
    expect_normal(w, 0.0, std::sqrt(2.0 / 1000.0));
    init::xavier_uniform_(w, 2.0);
    expect_uniform(w, 2.0 * std::sqrt(6.0 / 1000.0));
    init::normal_(w, 3.0, 0.5);
    expect_normal(w, 3.0, 0.5);
    init::uniform_(w);
    EXPECT_NEAR(moments_of(w).mean, 0.5, 0.005);
    EXPECT_GE(min(w).item(), 0.0);
    EXPECT_LT(max(w).item(), 1.0);
    EXPECT_TENSOR_NEAR(init::constant_(zeros({2, 3}), 2.5), full({2, 3}, 2.5), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(init::ones_(zeros({2, 3}, float64)), ones({2, 3}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(init::zeros_(ones({4})), zeros({4}), 0.0, 0.0);
}

TEST(Init, WritesInPlaceIntoParameters)
{
    // A parameter that requires grad: the fill runs under no_grad, every handle sees it, the
    // leaf stays a leaf, and a graph that saved the old values refuses to run backward.
    Tensor w = zeros({4, 3}, float64).requires_grad_();
    Tensor alias = w;
    Tensor y = sum(w * w);
    manual_seed(3);
    init::xavier_uniform_(w);
    EXPECT_GT(max(abs(alias)).item(), 0.0);
    EXPECT_TRUE(w.requires_grad());
    EXPECT_TRUE(w.is_leaf());
    EXPECT_THROW(y.backward(), std::logic_error);
    // The same seed gives the same values in float32 (draws are made as doubles).
    Tensor f = zeros({4, 3});
    manual_seed(3);
    init::xavier_uniform_(f);
    EXPECT_TENSOR_NEAR(f.to(float64), w.detach(), 1e-7, 0.0);
    // Zero-element tensors are a no-op, as in PyTorch, even where the fan is 0.
    EXPECT_EQ(init::kaiming_uniform_(zeros({3, 0})).numel(), 0);
    EXPECT_EQ(init::xavier_normal_(zeros({0, 3})).numel(), 0);
    EXPECT_EQ(init::orthogonal_(zeros({0, 3})).numel(), 0);
}

TEST(Init, OrthogonalRowsOrColumns)
{
    manual_seed(4);
    const std::vector<shape_t> shapes = {{6, 4}, {3, 7}, {5, 5}, {4, 2, 3}, {50, 20}};
    for (const shape_t& shape : shapes)
    {
        SCOPED_TRACE(shape_str(shape));
        Tensor t = zeros(shape, float64);
        init::orthogonal_(t, 2.0);
        const Tensor w = reshape(t, {shape[0], -1});
        const std::int64_t rows = w.size(0), cols = w.size(1);
        // Tall (or square): orthonormal columns, W^T W = gain^2 I; wide: orthonormal rows.
        const Tensor gram = rows >= cols ? matmul(transpose(w, 0, 1), w) : matmul(w, transpose(w, 0, 1));
        const std::int64_t k = std::min(rows, cols);
        std::vector<double> eye(static_cast<std::size_t>(k * k), 0.0);
        for (std::int64_t i = 0; i < k; ++i)
        {
            eye[static_cast<std::size_t>(i * k + i)] = 4.0;
        }
        EXPECT_TENSOR_NEAR(gram, from_vector(eye, {k, k}, float64), 1e-12, 0.0);
    }
    // Not a fixed matrix: another draw gives another Q; the same seed the same Q (float32 too).
    Tensor a = zeros({4, 4}, float64), b = zeros({4, 4}, float64), c = zeros({4, 4});
    manual_seed(8);
    init::orthogonal_(a);
    init::orthogonal_(b);
    EXPECT_GT(max(abs(a - b)).item(), 0.1);
    manual_seed(8);
    init::orthogonal_(c);
    EXPECT_TENSOR_NEAR(c.to(float64), a, 1e-7, 0.0);
    EXPECT_TENSOR_NEAR(matmul(transpose(c, 0, 1), c), eye_like_float32(4), 1e-6, 0.0);
}

TEST(Init, OrthogonalIsTheQOfAPositiveDiagonalQR)
{
    // orthogonal_ factors the normal matrix A it draws (the same draws as randn after the same
    // seed). Tall: A = Q R, so Q^T A must be upper triangular with a positive diagonal; wide:
    // A^T = Q R with W = Q^T, so W A^T is. This pins the sign convention (Q is unique then).
    for (const shape_t& shape : std::vector<shape_t>{{6, 4}, {3, 7}})
    {
        SCOPED_TRACE(shape_str(shape));
        manual_seed(21);
        const Tensor a = randn(shape, float64);
        manual_seed(21);
        const Tensor w = init::orthogonal_(zeros(shape, float64));
        const bool tall = shape[0] >= shape[1];
        const Tensor r = tall ? matmul(transpose(w, 0, 1), a) : matmul(w, transpose(a, 0, 1));
        const std::int64_t k = r.size(0);
        const std::vector<double> v = r.to_vector();
        for (std::int64_t i = 0; i < k; ++i)
        {
            EXPECT_GT(v[static_cast<std::size_t>(i * k + i)], 1e-3) << "diagonal " << i;
            for (std::int64_t j = 0; j < i; ++j)
            {
                EXPECT_NEAR(v[static_cast<std::size_t>(i * k + j)], 0.0, 1e-12) << "below the diagonal " << i << ", " << j;
            }
        }
    }
}

TEST(InitErrors, Messages)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "calculate_gain: unsupported nonlinearity \"softsign\"; expected one of linear, conv1d, conv2d, "
                         "conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, "
                         "selu",
                         init::calculate_gain("softsign"));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "kaiming_normal_: unsupported nonlinearity \"Relu\"; expected one of linear, conv1d, conv2d, "
                         "conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, "
                         "selu",
                         init::kaiming_normal_(zeros({3, 4}), 0.0, init::fan_mode::fan_in, "Relu"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "calculate_gain: negative_slope must be a finite number, got nan",
                         init::calculate_gain("leaky_relu", std::numeric_limits<double>::quiet_NaN()));
    // fan_mode is an enum, so a bad mode cannot be spelled; a forged value is still refused.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "kaiming_uniform_: mode must be fan_mode::fan_in or fan_mode::fan_out, got 7",
                         init::kaiming_uniform_(zeros({3, 4}), 0.0, static_cast<init::fan_mode>(7)));
    const std::string fewer = " expected a tensor with at least 2 dimensions (fan in and fan out are undefined for "
                              "fewer), got shape (7,)";
    EXPECT_THROW_MESSAGE(std::invalid_argument, "kaiming_uniform_:" + fewer, init::kaiming_uniform_(zeros({7})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "kaiming_normal_:" + fewer, init::kaiming_normal_(zeros({7})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "xavier_uniform_:" + fewer, init::xavier_uniform_(zeros({7})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "xavier_normal_:" + fewer, init::xavier_normal_(zeros({7})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "orthogonal_: expected a tensor with at least 2 dimensions, got shape (7,)",
                         init::orthogonal_(zeros({7})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "normal_: expected a finite mean and std >= 0, got mean=0, std=-1",
                         init::normal_(zeros({7}), 0.0, -1.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "uniform_: low <= high, got low=1, high=0",
                         init::uniform_(zeros({7}), 1.0, 0.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "constant_: a defined tensor, got an undefined one",
                         init::constant_(Tensor(), 1.0));
}
