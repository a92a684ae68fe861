// Conv2d / ConvTranspose2d layers: the options builder, parameter names and shapes, PyTorch's
// default initialisation (bounds and spread), use inside Sequential, output_size, construction
// errors, gradchecks of a small stack, and the usage snippets of docs/conv-transpose.md.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/init.hpp>
#include <adjoint/testing/testing.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace adjoint;

namespace
{
    struct stats
    {
        double max_abs = 0.0, mean = 0.0, std = 0.0;
    };

    stats describe(const Tensor& t)
    {
        const auto v = t.to_vector();
        stats s;
        for (double e : v)
        {
            s.max_abs = std::max(s.max_abs, std::abs(e));
            s.mean += e;
        }
        s.mean /= static_cast<double>(v.size());
        for (double e : v)
        {
            s.std += (e - s.mean) * (e - s.mean);
        }
        s.std = std::sqrt(s.std / static_cast<double>(v.size() - 1));
        return s;
    }

} // namespace

TEST(ConvLayerOptions, BuilderChainsAndReadsBack)
{
    auto o = Conv2dOptions(3, 16, 3).stride(2).padding(1).dilation(2, 3).groups(1).bias(false);
    EXPECT_EQ(o.in_channels(), 3);
    EXPECT_EQ(o.out_channels(), 16);
    EXPECT_EQ(o.kernel_size(), (pair_t{3, 3}));
    EXPECT_EQ(o.stride(), (pair_t{2, 2}));
    EXPECT_EQ(o.padding(), (pair_t{1, 1}));
    EXPECT_EQ(o.dilation(), (pair_t{2, 3}));
    EXPECT_FALSE(o.bias());
    EXPECT_EQ(o.functional().stride(), (pair_t{2, 2})); // what forward() passes on

    auto rect = Conv2dOptions(4, 8, {3, 5}).stride(1, 2).padding(0, 2).groups(4);
    EXPECT_EQ(rect.kernel_size(), (pair_t{3, 5}));
    EXPECT_EQ(rect.stride(), (pair_t{1, 2}));
    EXPECT_EQ(rect.padding(), (pair_t{0, 2}));
    EXPECT_EQ(rect.groups(), 4);
    EXPECT_TRUE(rect.bias());

    EXPECT_EQ(Conv2dOptions(1, 1, 3).padding("same").padding_kind(), conv2d_options::padding_mode::same);
    EXPECT_EQ(Conv2dOptions(1, 1, 3).padding("valid").padding_kind(), conv2d_options::padding_mode::valid);

    auto t = ConvTranspose2dOptions(16, 3, {4, 3}).stride(2, 1).padding(1).output_padding(1, 0).dilation(1).bias(false);
    EXPECT_EQ(t.in_channels(), 16);
    EXPECT_EQ(t.out_channels(), 3);
    EXPECT_EQ(t.kernel_size(), (pair_t{4, 3}));
    EXPECT_EQ(t.stride(), (pair_t{2, 1}));
    EXPECT_EQ(t.padding(), (pair_t{1, 1}));
    EXPECT_EQ(t.output_padding(), (pair_t{1, 0}));
    EXPECT_EQ(t.functional().output_padding(), (pair_t{1, 0}));
    EXPECT_FALSE(t.bias());
}

TEST(ConvLayers, ParameterNamesAndShapes)
{
    Conv2d conv(Conv2dOptions(4, 6, {3, 5}).groups(2));
    auto named = conv.named_parameters();
    ASSERT_EQ(named.size(), 2u);
    EXPECT_EQ(named[0].first, "weight");
    EXPECT_EQ(named[1].first, "bias");
    EXPECT_TENSOR_SHAPE(named[0].second, {6, 2, 3, 5}); // [C_out, C_in/groups, kH, kW]
    EXPECT_TENSOR_SHAPE(named[1].second, {6});
    EXPECT_TRUE(named[0].second.is_same(conv.weight()));
    EXPECT_TRUE(conv.weight().requires_grad());
    EXPECT_EQ(conv.type_name(), "Conv2d");

    ConvTranspose2d up(ConvTranspose2dOptions(4, 6, {3, 5}).groups(2));
    auto named_up = up.named_parameters();
    ASSERT_EQ(named_up.size(), 2u);
    EXPECT_EQ(named_up[0].first, "weight");
    EXPECT_EQ(named_up[1].first, "bias");
    EXPECT_TENSOR_SHAPE(named_up[0].second, {4, 3, 3, 5}); // [C_in, C_out/groups, kH, kW]
    EXPECT_TENSOR_SHAPE(named_up[1].second, {6});
    EXPECT_EQ(up.type_name(), "ConvTranspose2d");

    Conv2d no_bias(Conv2dOptions(2, 2, 1).bias(false));
    EXPECT_EQ(no_bias.named_parameters().size(), 1u);
    EXPECT_FALSE(no_bias.bias().defined());
}

TEST(ConvInit, FansFollowPyTorch)
{
    // torch.nn.init._calculate_fan_in_and_fan_out on these weight shapes (checked with torch 1.13).
    auto conv = init::calculate_fan_in_and_fan_out({6, 2, 3, 5});
    EXPECT_EQ(conv.fan_in, 30);
    EXPECT_EQ(conv.fan_out, 90);
    auto transposed = init::calculate_fan_in_and_fan_out({4, 3, 3, 5});
    EXPECT_EQ(transposed.fan_in, 45);
    EXPECT_EQ(transposed.fan_out, 60);
    EXPECT_EQ(init::calculate_fan_in_and_fan_out({7, 3}).fan_in, 3);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "calculate_fan_in_and_fan_out: a shape with at least 2 dimensions, got (7,)",
                         init::calculate_fan_in_and_fan_out({7}));
    // a = sqrt(5) makes the kaiming bound exactly 1/sqrt(fan_in).
    EXPECT_NEAR(init::kaiming_uniform_bound({6, 2, 3, 5}, std::sqrt(5.0)), 1.0 / std::sqrt(30.0), 1e-15);
    EXPECT_NEAR(init::kaiming_uniform_bound({6, 2, 3, 5}), std::sqrt(6.0 / 30.0), 1e-15); // ReLU gain sqrt(2)
    EXPECT_NEAR(init::kaiming_uniform_bound({6, 2, 3, 5}, 0.0, init::fan_mode::fan_out), std::sqrt(6.0 / 90.0), 1e-15);
}

TEST(ConvInit, UniformFillsInPlaceWithinBounds)
{
    manual_seed(7);
    Tensor t = zeros({1000}, float64);
    Tensor alias = t; // another handle on the same tensor sees the values
    init::uniform_(t, -0.5, 2.0);
    auto s = describe(alias);
    EXPECT_GT(s.max_abs, 1.9);
    for (double v : alias.to_vector())
    {
        ASSERT_GE(v, -0.5);
        ASSERT_LT(v, 2.0);
    }
    EXPECT_NEAR(s.mean, 0.75, 0.1);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "uniform_: low <= high, got low=1, high=0",
                         init::uniform_(t, 1.0, 0.0));
}

// Default init: weight uniform in +-1/sqrt(fan_in) (kaiming_uniform_ with a = sqrt(5)), bias
// the same bound. A uniform distribution on +-b has standard deviation b/sqrt(3), so a wrong
// fan (e.g. C_in instead of C_out for the transposed layer) fails the bound or the spread.
TEST(ConvInit, Conv2dDefaultInitMatchesPyTorchBounds)
{
    manual_seed(1234);
    Conv2d conv(Conv2dOptions(64, 96, 3)); // fan_in = 64 * 9
    const double bound = 1.0 / std::sqrt(64.0 * 9.0);
    auto w = describe(conv.weight());
    EXPECT_LE(w.max_abs, bound);
    EXPECT_GT(w.max_abs, 0.99 * bound);
    EXPECT_NEAR(w.std, bound / std::sqrt(3.0), 0.02 * bound / std::sqrt(3.0));
    EXPECT_NEAR(w.mean, 0.0, 0.02 * bound);

    Conv2d wide(Conv2dOptions(16, 2048, 1)); // many biases: fan_in = 16, bound 0.25
    auto b = describe(wide.bias());
    EXPECT_LE(b.max_abs, 0.25);
    EXPECT_GT(b.max_abs, 0.24);
    EXPECT_NEAR(b.std, 0.25 / std::sqrt(3.0), 0.1 * 0.25 / std::sqrt(3.0));
}

TEST(ConvInit, ConvTranspose2dUsesWeightSizeOneForFanIn)
{
    manual_seed(99);
    // weight [8, 32/2, 3, 3]: torch's fan_in is weight.size(1) * 9 = 144, not 8/2 * 9.
    ConvTranspose2d up(ConvTranspose2dOptions(8, 32, 3).groups(2));
    ConvTranspose2d big(ConvTranspose2dOptions(256, 32, 3).groups(2)); // enough weights for the spread
    const double bound = 1.0 / std::sqrt(16.0 * 9.0);
    for (const auto* layer : {&up, &big})
    {
        auto w = describe(layer->weight());
        auto b = describe(layer->bias());
        EXPECT_LE(w.max_abs, bound);
        EXPECT_GT(w.max_abs, 0.95 * bound);
        EXPECT_LE(b.max_abs, bound);
    }
    auto w = describe(big.weight());
    EXPECT_NEAR(w.std, bound / std::sqrt(3.0), 0.02 * bound / std::sqrt(3.0));
}

TEST(ConvInit, SeededInitIsReproducible)
{
    manual_seed(5);
    Conv2d a(Conv2dOptions(3, 4, 3));
    manual_seed(5);
    Conv2d b(Conv2dOptions(3, 4, 3));
    EXPECT_TENSOR_NEAR(a.weight(), b.weight(), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(a.bias(), b.bias(), 0.0, 0.0);
    Tensor before = a.weight().detach().to(float64);
    a.reset_parameters();
    EXPECT_GT(describe(a.weight().detach().to(float64) - before).max_abs, 0.0);
}

TEST(ConvLayers, ForwardIsTheFunctionalOpWithTheLayersParameters)
{
    manual_seed(3);
    Conv2d conv(Conv2dOptions(4, 6, {3, 2}).stride(2, 1).padding(1, 0).dilation(1, 2).groups(2));
    conv.to(float64);
    Tensor x = randn({2, 4, 7, 6}, float64);
    auto o = conv2d_options().stride(2, 1).padding(1, 0).dilation(1, 2).groups(2);
    EXPECT_TENSOR_NEAR(conv(x), conv2d(x, conv.weight(), conv.bias(), o), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(conv(x), {2, 6, 4, 4});

    ConvTranspose2d up(ConvTranspose2dOptions(4, 6, 3).stride(2).padding(1).output_padding(1).groups(2).bias(false));
    up.to(float64);
    auto ot = conv_transpose2d_options().stride(2).padding(1).output_padding(1).groups(2);
    EXPECT_TENSOR_NEAR(up(x), conv_transpose2d(x, up.weight(), Tensor(), ot), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(up(x), {2, 6, 14, 12});

    // "same" keeps the spatial size, even for an even, dilated kernel; depthwise is groups == C_in.
    Conv2d same(Conv2dOptions(4, 4, {4, 3}).padding("same").dilation(1, 2).groups(4));
    same.to(float64);
    EXPECT_TENSOR_SHAPE(same(x), {2, 4, 7, 6});
    EXPECT_TENSOR_SHAPE(same.weight(), {4, 1, 4, 3});
    auto os = conv2d_options().padding("same").dilation(1, 2).groups(4);
    EXPECT_TENSOR_NEAR(same(x), conv2d(x, same.weight(), same.bias(), os), 0.0, 0.0);
}

TEST(ConvLayers, SequentialDownThenUpReachesEveryParameter)
{
    manual_seed(11);
    auto down = std::make_shared<Conv2d>(Conv2dOptions(3, 8, 3).stride(2).padding(1));
    auto up = std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(8, 3, 3).stride(2).padding(1).output_padding(1));
    Sequential net{down, up};
    Tensor x = randn({2, 3, 8, 8});
    Tensor mid = down->forward(x);
    EXPECT_TENSOR_SHAPE(mid, {2, 8, 4, 4}); // floor((8 + 2 - 2 - 1) / 2) + 1 = 4
    Tensor y = net(x);
    EXPECT_TENSOR_SHAPE(y, {2, 3, 8, 8}); // (4 - 1) * 2 - 2 + 2 + 1 + 1 = 8
    sum(y * y).backward();
    auto named = net.named_parameters();
    ASSERT_EQ(named.size(), 4u);
    EXPECT_EQ(named[0].first, "0.weight");
    EXPECT_EQ(named[3].first, "1.bias");
    for (const auto& [name, p] : named)
    {
        ASSERT_TRUE(p.grad().defined()) << name;
        EXPECT_EQ(p.grad().shape(), p.shape()) << name;
        EXPECT_GT(describe(p.grad()).max_abs, 0.0) << name;
    }
}

TEST(ConvLayers, TransposedForwardWithOutputSize)
{
    manual_seed(21);
    ConvTranspose2d up(ConvTranspose2dOptions(2, 3, 3).stride(2).padding(1));
    up.to(float64);
    Tensor x = randn({1, 2, 4, 4}, float64);
    // Minimum size (4 - 1) * 2 - 2 + 2 + 1 = 7; stride 2 allows 7 or 8 per dimension.
    EXPECT_TENSOR_SHAPE(up(x), {1, 3, 7, 7});
    Tensor y = up(x, {8, 7});
    EXPECT_TENSOR_SHAPE(y, {1, 3, 8, 7});
    // The same as asking for output_padding (1, 0) directly.
    auto ot = conv_transpose2d_options().stride(2).padding(1).output_padding(1, 0);
    EXPECT_TENSOR_NEAR(y, conv_transpose2d(x, up.weight(), up.bias(), ot), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(up.forward(x, {7, 8}), {1, 3, 7, 8});
    // Sequential still calls the one-argument forward.
    Sequential net{std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(2, 3, 3).stride(2).padding(1))};
    net.to(float64);
    EXPECT_TENSOR_SHAPE(net(x), {1, 3, 7, 7});
    // Outside [7, 8] the functional op refuses, naming itself.
    try
    {
        up(x, {9, 7});
        ADD_FAILURE() << "expected std::invalid_argument";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_NE(std::string(e.what()).find("conv_transpose2d"), std::string::npos) << e.what();
    }
}

TEST(ConvLayers, ConstructionErrorsSayWhatWasExpected)
{
    // The same rules in the same words as the functional ops (core/conv_geometry's checks).
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Conv2d: in_channels=5 must be divisible by groups=2",
                         Conv2d(Conv2dOptions(5, 4, 3).groups(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Conv2d: out_channels=6 must be divisible by groups=4",
                         Conv2d(Conv2dOptions(4, 6, 3).groups(4)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Conv2d: in_channels and out_channels must be >= 1, got in_channels=0, out_channels=4",
                         Conv2d(Conv2dOptions(0, 4, 3)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Conv2d: groups must be >= 1, got groups=0",
                         Conv2d(Conv2dOptions(4, 4, 3).groups(0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Conv2d: kernel_size must be >= 1 in each dimension, got kernel_size=(3, 0)",
                         Conv2d(Conv2dOptions(4, 4, {3, 0})));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Conv2d: stride must be >= 1 in each dimension, got stride=(0, 1)",
                         Conv2d(Conv2dOptions(4, 4, 3).stride(0, 1)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Conv2d: dilation must be >= 1 in each dimension, got dilation=(0, 0) (1 means an undilated "
                         "kernel)",
                         Conv2d(Conv2dOptions(4, 4, 3).dilation(0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Conv2d: padding must be >= 0 in each dimension, got padding=(-1, 0)",
                         Conv2d(Conv2dOptions(4, 4, 3).padding(-1, 0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Conv2d: padding='same' needs stride 1 (as in PyTorch), got stride=(2, 2); use explicit "
                         "padding with a stride, e.g. padding=dilation*(kernel-1)/2 for an odd kernel",
                         Conv2d(Conv2dOptions(4, 4, 3).padding("same").stride(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "ConvTranspose2d: out_channels=5 must be divisible by groups=3",
                         ConvTranspose2d(ConvTranspose2dOptions(6, 5, 3).groups(3)));
    // output_padding below dilation is allowed even with stride 1, as in PyTorch.
    EXPECT_NO_THROW(ConvTranspose2d(ConvTranspose2dOptions(4, 4, 3).dilation(2).output_padding(1)));
}

TEST(ConvLayers, TransposedOutputPaddingIsCheckedOnlyWhenUsed)
{
    // As torch.nn.ConvTranspose2d: the configured output_padding matters only to forward(x);
    // forward(x, output_size) picks its own, so the layer is built without complaint.
    ConvTranspose2d up(ConvTranspose2dOptions(4, 4, 3).stride(2).output_padding(2));
    EXPECT_TENSOR_SHAPE(up(zeros({1, 4, 3, 3}), {8, 8}), {1, 4, 8, 8});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: output_padding must be smaller than stride or dilation, got "
                         "output_padding=(2, 2) with stride=(2, 2) and dilation=(1, 1); set output_padding=1 (must be "
                         "< stride=2) or pass output_size",
                         up(zeros({1, 4, 3, 3})));
    ConvTranspose2d negative(ConvTranspose2dOptions(4, 4, 3).output_padding(0, -1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: output_padding must be >= 0 in each dimension, got output_padding=(0, -1)",
                         negative(zeros({1, 4, 3, 3})));
}

TEST(ConvLayers, ZeroOutputChannelsAreRefusedAsPyTorchDoes)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: expected a weight with at least 1 output channel (weight.shape[0] >= 1), got weight "
                         "shape (0, 3, 3, 3)",
                         conv2d(zeros({1, 3, 5, 5}), zeros({0, 3, 3, 3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: expected a weight with at least 1 output channel (weight.shape[1] >= 1), "
                         "got weight shape (3, 0, 3, 3)",
                         conv_transpose2d(zeros({1, 3, 5, 5}), zeros({3, 0, 3, 3})));
}

// The layers' own forward with respect to the input, and the same stack written with the
// functional ops and the layers' options with respect to every parameter (gradcheck builds
// fresh perturbed tensors, which a module cannot take as its parameters).
TEST(ConvLayers, GradcheckOfSmallStackInFloat64)
{
    manual_seed(17);
    auto down = std::make_shared<Conv2d>(Conv2dOptions(2, 4, {3, 2}).stride(2, 1).padding(1).groups(2));
    auto up = std::make_shared<ConvTranspose2d>(
        ConvTranspose2dOptions(4, 2, 3).stride(2, 1).padding(1).output_padding(1, 0).groups(2));
    Sequential net{down, up};
    net.to(float64);
    Tensor x = randn({1, 2, 5, 4}, float64).requires_grad_();
    EXPECT_TENSOR_SHAPE(net(x), {1, 2, 6, 5}); // [1, 4, 3, 5] after the first layer

    EXPECT_GRADCHECK([&](const tensor_list& in) { return net(in[0]); }, {x});
    EXPECT_GRADGRADCHECK([&](const tensor_list& in) { return net(in[0]); }, {x});

    auto stack = [&](const tensor_list& in)
    {
        Tensor h = conv2d(in[0], in[1], in[2], down->options().functional());
        return conv_transpose2d(h, in[3], in[4], up->options().functional());
    };
    tensor_list inputs{x};
    for (const auto& p : net.parameters())
    {
        inputs.push_back(p.detach().requires_grad_());
    }
    EXPECT_TENSOR_NEAR(stack(inputs), net(x), 0.0, 0.0);
    EXPECT_GRADCHECK(stack, {inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]});
}

// The usage snippets of docs/conv-transpose.md, verbatim; keep the two in sync.
TEST(Docs, UsageSnippetsCompileAndRun)
{
    // --- docs: functional ---
    Tensor x = randn({8, 3, 32, 32}); // N, C, H, W
    Tensor w = randn({16, 3, 3, 3});  // C_out, C_in, kH, kW
    Tensor h = conv2d(x, w, Tensor(), conv2d_options().stride(2).padding(1));
    // h: [8, 16, 16, 16]
    Tensor wt = randn({16, 3, 3, 3}); // C_in, C_out, kH, kW
    Tensor y = conv_transpose2d(h, wt, Tensor(), conv_transpose2d_options().stride(2).padding(1), pair_t{32, 32});
    // y: [8, 3, 32, 32]; without output_size it would be 31 x 31
    // --- docs: layers ---
    auto encoder = std::make_shared<Conv2d>(Conv2dOptions(3, 16, 3).stride(2).padding(1));
    auto decoder =
        std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(16, 3, 3).stride(2).padding(1).output_padding(1));
    Sequential net{encoder, decoder};
    Tensor out = net(x); // [8, 3, 32, 32]
    Tensor odd = decoder->forward(encoder->forward(randn({1, 3, 31, 31})), {31, 31});
    sum(out * out).backward(); // fills encoder->weight().grad(), ...
    // --- docs: end ---
    EXPECT_TENSOR_SHAPE(h, {8, 16, 16, 16});
    EXPECT_TENSOR_SHAPE(y, {8, 3, 32, 32});
    EXPECT_TENSOR_SHAPE(out, {8, 3, 32, 32});
    EXPECT_TENSOR_SHAPE(odd, {1, 3, 31, 31});
    EXPECT_TRUE(encoder->weight().grad().defined());
}
