// Activation and dropout layers (layers/activation.hpp) and Flatten / Identity
// (layers/linear.hpp): each forward equals its functional op, dropout layers follow
// train/eval, printing matches PyTorch 1.13's repr, clones are independent, and bad options
// fail at construction.
#include "golden_helpers.hpp"

#include <sstream>

using namespace adjoint;
using namespace golden;

TEST(ActivationLayers, ForwardEqualsTheFunctionalOp)
{
    const Tensor x = irregular({2, 3, 4}, -3.0, 3.0).detach();
    EXPECT_TENSOR_NEAR(ReLU()(x), relu(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Sigmoid()(x), sigmoid(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Tanh()(x), tanh(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(SiLU()(x), silu(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(LeakyReLU()(x), leaky_relu(x, 0.01), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(LeakyReLU(0.2)(x), leaky_relu(x, 0.2), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(ELU()(x), elu(x, 1.0), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(ELU(ELUOptions().alpha(0.5))(x), elu(x, 0.5), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(GELU()(x), gelu(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(GELU("tanh")(x), gelu(x, "tanh"), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Softplus()(x), softplus(x), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Softplus(SoftplusOptions().beta(2.0).threshold(1.0))(x), softplus(x, 2.0, 1.0), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Softmax(1)(x), softmax(x, 1), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(LogSoftmax(-1)(x), log_softmax(x, -1), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(Flatten()(x), reshape(x, {2, 12}), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(Flatten(FlattenOptions().start_dim(0).end_dim(1))(x), {6, 4});
    EXPECT_TRUE(Identity()(x).is_same(x));
    // Gradients flow through the layers like through the ops.
    Tensor v = irregular({3, 4});
    GELU g;
    EXPECT_TENSOR_NEAR(grad({sum(g(v))}, {v})[0], grad({sum(gelu(v))}, {v})[0], 0.0, 0.0);
}

TEST(ActivationLayers, DropoutFollowsTrainAndEval)
{
    const Tensor x = irregular({20, 30}, 0.5, 1.5).detach();
    Dropout d(0.3);
    EXPECT_TRUE(d.is_training());
    manual_seed(4);
    const Tensor trained = d(x);
    manual_seed(4);
    EXPECT_TENSOR_NEAR(trained, dropout(x, 0.3), 0.0, 0.0);
    EXPECT_GT(mean(eq(trained, 0.0)).item(), 0.1);   // something was dropped
    d.eval();
    EXPECT_TRUE(d(x).is_same(x));
    d.train();
    EXPECT_FALSE(d(x).is_same(x));

    const Tensor x4 = irregular({2, 8, 3, 3}, 0.5, 1.5).detach();
    Dropout2d d2(DropoutOptions().p(0.5));
    manual_seed(6);
    const Tensor t2 = d2(x4);
    manual_seed(6);
    EXPECT_TENSOR_NEAR(t2, dropout2d(x4, 0.5), 0.0, 0.0);
    d2.eval();
    EXPECT_TRUE(d2(x4).is_same(x4));
    // Inside a model, eval() on the parent reaches the dropout.
    auto fc = std::make_shared<Linear>(LinearOptions(30, 30));
    auto drop = std::make_shared<Dropout>(0.9);
    Sequential net(fc, drop);
    net.eval();
    EXPECT_FALSE(drop->is_training());
    EXPECT_TENSOR_NEAR(net(x.to(float32)), fc->forward(x.to(float32)), 0.0, 0.0);
}

TEST(ActivationLayers, PrintLikePyTorch)
{
    // repr() of the torch.nn modules with the same arguments (torch 1.13).
    EXPECT_EQ(to_string(ReLU()), "ReLU()");
    EXPECT_EQ(to_string(Sigmoid()), "Sigmoid()");
    EXPECT_EQ(to_string(Tanh()), "Tanh()");
    EXPECT_EQ(to_string(SiLU()), "SiLU()");
    EXPECT_EQ(to_string(Identity()), "Identity()");
    EXPECT_EQ(to_string(LeakyReLU()), "LeakyReLU(negative_slope=0.01)");
    EXPECT_EQ(to_string(LeakyReLU(0.2)), "LeakyReLU(negative_slope=0.2)");
    EXPECT_EQ(to_string(LeakyReLU(1e-3)), "LeakyReLU(negative_slope=0.001)");
    EXPECT_EQ(to_string(LeakyReLU(1e-5)), "LeakyReLU(negative_slope=1e-05)");
    EXPECT_EQ(to_string(ELU()), "ELU(alpha=1.0)");
    EXPECT_EQ(to_string(ELU(0.5)), "ELU(alpha=0.5)");
    EXPECT_EQ(to_string(GELU()), "GELU(approximate='none')");
    EXPECT_EQ(to_string(GELU("tanh")), "GELU(approximate='tanh')");
    EXPECT_EQ(to_string(Softplus()), "Softplus(beta=1, threshold=20)");
    EXPECT_EQ(to_string(Softplus(SoftplusOptions().beta(1.5))), "Softplus(beta=1.5, threshold=20)");
    EXPECT_EQ(to_string(Softplus(SoftplusOptions().threshold(1e20))), "Softplus(beta=1, threshold=1e+20)");
    EXPECT_EQ(to_string(ELU(123456.0)), "ELU(alpha=123456.0)");
    EXPECT_EQ(to_string(ELU(0.1 + 0.2)), "ELU(alpha=0.30000000000000004)");
    EXPECT_EQ(to_string(Dropout(0.0)), "Dropout(p=0.0, inplace=False)");
    EXPECT_EQ(to_string(Softmax(1)), "Softmax(dim=1)");
    EXPECT_EQ(to_string(LogSoftmax(-1)), "LogSoftmax(dim=-1)");
    EXPECT_EQ(to_string(Dropout()), "Dropout(p=0.5, inplace=False)");
    EXPECT_EQ(to_string(Dropout(0.25)), "Dropout(p=0.25, inplace=False)");
    EXPECT_EQ(to_string(Dropout2d(0.3)), "Dropout2d(p=0.3, inplace=False)");
    EXPECT_EQ(to_string(Flatten()), "Flatten(start_dim=1, end_dim=-1)");
    EXPECT_EQ(to_string(Flatten(FlattenOptions().start_dim(0).end_dim(2))), "Flatten(start_dim=0, end_dim=2)");
    Sequential net(std::make_shared<Flatten>(), std::make_shared<Linear>(LinearOptions(12, 4)),
                   std::make_shared<LeakyReLU>(0.1), std::make_shared<Dropout>(0.2),
                   std::make_shared<Linear>(LinearOptions(4, 2).bias(false)), std::make_shared<LogSoftmax>(1));
    EXPECT_EQ(to_string(net), "Sequential(\n"
                              "  (0): Flatten(start_dim=1, end_dim=-1)\n"
                              "  (1): Linear(in_features=12, out_features=4, bias=True)\n"
                              "  (2): LeakyReLU(negative_slope=0.1)\n"
                              "  (3): Dropout(p=0.2, inplace=False)\n"
                              "  (4): Linear(in_features=4, out_features=2, bias=False)\n"
                              "  (5): LogSoftmax(dim=1)\n"
                              ")");
}

TEST(ActivationLayers, CloneKeepsOptionsAndMode)
{
    LeakyReLU a(0.3);
    auto b = std::static_pointer_cast<LeakyReLU>(a.clone());
    EXPECT_EQ(b->options().negative_slope(), 0.3);
    Dropout d(0.4);
    d.eval();
    auto e = std::static_pointer_cast<Dropout>(d.clone());
    EXPECT_FALSE(e->is_training());
    EXPECT_EQ(e->options().p(), 0.4);
    auto s = std::static_pointer_cast<Softmax>(Softmax(-2).clone());
    EXPECT_EQ(s->dim(), -2);
    EXPECT_EQ(to_string(*GELU("tanh").clone()), "GELU(approximate='tanh')");
    EXPECT_EQ(to_string(*Flatten(FlattenOptions().start_dim(2)).clone()), "Flatten(start_dim=2, end_dim=-1)");
}

TEST(ActivationLayers, BadOptionsFailAtConstruction)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Dropout: dropout probability has to be between 0 and 1, but got 1.5",
                         Dropout(1.5));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Dropout2d: dropout probability has to be between 0 and 1, but got -1",
                         Dropout2d(-1.0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "GELU: approximate must be \"none\" or \"tanh\", got \"erf\"",
                         GELU("erf"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Softplus: beta must be non-zero, got 0",
                         Softplus(SoftplusOptions().beta(0.0)));
    // Input-dependent errors come from the op, with the layer named when it sits in a model.
    Sequential net(std::make_shared<ReLU>(), std::make_shared<Softmax>(3));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "1 (Softmax): softmax: axis must be in [-2, 1] for a tensor of 2 dimensions, got 3",
                         net(zeros({2, 2})));
}
