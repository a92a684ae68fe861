// The fused conv-relu ops (autograd/conv.hpp: detail::conv2d_relu, conv_transpose2d_relu)
// and Sequential's use of them: the same values and gradients as the two ops one after the
// other (bit for bit: the relu is exact, and every other operation is the same), on every
// kernel path (oneDNN's primitives with the relu as a post-op, im2col + GEMM with bias and
// relu in one pass, float64); float64 gradchecks; the graph's structure; when Sequential
// fuses only where no graph is recorded, and not under anomaly mode or summary(); errors
// that still name the layer.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <string>
#include <vector>

using namespace adjoint;

namespace
{
    struct config
    {
        const char* what;
        shape_t x, w;
        std::int64_t stride, padding, groups;
        bool transpose, bias;
        dtype dt;
    };

    const config configs[] = {
        {"conv2d, oneDNN", {4, 16, 12, 12}, {32, 16, 3, 3}, 2, 1, 1, false, true, float32},
        {"conv2d, grouped (im2col)", {3, 4, 9, 8}, {6, 2, 3, 3}, 1, 1, 2, false, true, float32},
        {"conv2d, one output channel (im2col)", {2, 8, 7, 7}, {1, 8, 1, 1}, 1, 0, 1, false, true, float32},
        {"conv2d, no bias", {4, 16, 12, 12}, {32, 16, 3, 3}, 1, 1, 1, false, false, float32},
        {"conv2d, float64", {2, 3, 7, 6}, {5, 3, 3, 3}, 2, 1, 1, false, true, float64},
        {"conv2d, unbatched", {16, 10, 10}, {16, 16, 3, 3}, 1, 1, 1, false, true, float32},
        {"conv_transpose2d, oneDNN", {4, 32, 6, 6}, {32, 16, 4, 4}, 2, 1, 1, true, true, float32},
        {"conv_transpose2d, grouped (col2im)", {3, 4, 5, 5}, {4, 3, 4, 4}, 2, 1, 2, true, true, float32},
        {"conv_transpose2d, no bias", {4, 32, 6, 6}, {32, 16, 4, 4}, 2, 1, 1, true, false, float32},
        {"conv_transpose2d, float64", {2, 4, 4, 3}, {4, 3, 3, 3}, 2, 1, 1, true, true, float64},
    };

    Tensor run(const config& c, const tensor_list& in, bool fused)
    {
        const Tensor bias = c.bias ? in[2] : Tensor();
        if (c.transpose)
        {
            const auto o = conv_transpose2d_options().stride(c.stride).padding(c.padding).groups(c.groups);
            return fused ? detail::conv_transpose2d_relu(in[0], in[1], bias, o)
                         : relu(conv_transpose2d(in[0], in[1], bias, o));
        }
        const auto o = conv2d_options().stride(c.stride).padding(c.padding).groups(c.groups);
        return fused ? detail::conv2d_relu(in[0], in[1], bias, o) : relu(conv2d(in[0], in[1], bias, o));
    }

    std::int64_t out_channels(const config& c) { return c.transpose ? c.w[1] * c.groups : c.w[0]; }
}

TEST(ConvReluFusion, SameValuesAndGradientsAsTheTwoOps)
{
    for (const config& c : configs)
    {
        SCOPED_TRACE(c.what);
        manual_seed(600);
        const tensor_list in = {randn(c.x, c.dt).requires_grad_(), randn(c.w, c.dt).requires_grad_(),
                                randn({out_channels(c)}, c.dt).requires_grad_()};
        const Tensor fused = run(c, in, true), plain = run(c, in, false);
        EXPECT_EQ(fused.shape(), plain.shape());
        EXPECT_EQ(fused.to_vector(), plain.to_vector());
        const Tensor gy = randn(fused.shape(), c.dt);
        const tensor_list gf = grad({fused}, in, {gy}, false, false, /*allow_unused=*/true);
        const tensor_list gp = grad({plain}, in, {gy}, false, false, true);
        for (std::size_t i = 0; i < (c.bias ? 3u : 2u); ++i)
        {
            EXPECT_EQ(gf[i].to_vector(), gp[i].to_vector()) << "gradient " << i;
        }
    }
}

TEST(ConvReluFusion, Gradcheck)
{
    for (const config& c : configs)
    {
        if (c.dt != float64)
        {
            continue;
        }
        SCOPED_TRACE(c.what);
        manual_seed(601);
        const tensor_list in = {randn(c.x, float64).requires_grad_(), randn(c.w, float64).requires_grad_(),
                                randn({out_channels(c)}, float64).requires_grad_()};
        const tensor_fn f = [&c](const tensor_list& t) { return run(c, t, true); };
        EXPECT_GRADCHECK(f, {in[0], in[1], in[2]});
        EXPECT_GRADGRADCHECK(f, {in[0], in[1], in[2]});
    }
}

// One node for both ops; its backward masks the output gradient and then is the
// convolution's own backward (the input gradient is still the transposed op of the mask).
TEST(ConvReluFusion, GraphStructure)
{
    manual_seed(602);
    Tensor x = randn({2, 3, 6, 6}, float64).requires_grad_(), w = randn({4, 3, 3, 3}, float64).requires_grad_();
    Tensor y = detail::conv2d_relu(x, w, Tensor(), conv2d_options().padding(1));
    ASSERT_EQ(y.grad_fn()->name(), "conv2d_relu");
    EXPECT_EQ(y.grad_fn()->next()[0], detail::edge_to_leaf(x));
    EXPECT_EQ(y.grad_fn()->next()[1], detail::edge_to_leaf(w));
    Tensor gy = randn(y.shape(), float64).requires_grad_();
    const tensor_list g = grad({y}, {x, w}, {gy}, false, /*create_graph=*/true);
    ASSERT_TRUE(g[0].grad_fn());
    EXPECT_EQ(g[0].grad_fn()->name(), "conv_transpose2d");
    EXPECT_EQ(g[0].grad_fn()->next()[0]->name(), "relu_backward");
    EXPECT_EQ(g[1].grad_fn()->name(), "conv2d_weight_grad");

    Tensor t = detail::conv_transpose2d_relu(y, randn({4, 2, 4, 4}, float64), Tensor(),
                                             conv_transpose2d_options().stride(2).padding(1));
    EXPECT_EQ(t.grad_fn()->name(), "conv_transpose2d_relu");
}

TEST(ConvReluFusion, ItsSavedOutputIsChecked)
{
    manual_seed(603);
    Tensor x = randn({1, 2, 5, 5}, float64).requires_grad_(), w = randn({3, 2, 3, 3}, float64);
    Tensor y = detail::conv2d_relu(x, w, Tensor(), conv2d_options());
    Tensor loss = sum(y);   // sum saves nothing, so only conv2d_relu can object
    y.mutable_data().fill_(1.0);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: the output of 'conv2d_relu' was modified in place after it was saved; update "
                         "tensors in place only after backward(), or clone() them before writing",
                         loss.backward());
}

namespace
{
    // Counts the calls Sequential makes of its fused form: a Conv2d declaring its own
    // forward and forward_relu (both, so Sequential may fuse it).
    class CountingConv : public Conv2d
    {
    public:
        using Conv2d::Conv2d;
        Tensor forward(const Tensor& x) { return Conv2d::forward(x); }
        Tensor forward_relu(const Tensor& x)
        {
            ++fused_calls;
            return Conv2d::forward_relu(x);
        }
        int fused_calls = 0;
    };

    // A Conv2d whose own forward doubles the output: Sequential must call that forward, not
    // Conv2d's fused one.
    class DoubledConv : public Conv2d
    {
    public:
        using Conv2d::Conv2d;
        Tensor forward(const Tensor& x) { return Conv2d::forward(x) * 2.0; }
    };

    std::shared_ptr<Sequential> small_model()
    {
        manual_seed(604);
        return std::make_shared<Sequential>(
            std::make_shared<Conv2d>(Conv2dOptions(3, 16, 3).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<Conv2d>(Conv2dOptions(16, 32, 3).stride(2).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(32, 16, 4).stride(2).padding(1)),
            std::make_shared<ReLU>(), std::make_shared<ReLU>(),   // a second ReLU stays a ReLU
            std::make_shared<Conv2d>(Conv2dOptions(16, 1, 1)));
    }

    // The same model, child by child, through each one's own forward.
    Tensor child_by_child(Sequential& model, const Tensor& x)
    {
        Tensor y = x;
        for (std::size_t i = 0; i < model.size(); ++i)
        {
            const auto child = model[i];
            if (auto c = std::dynamic_pointer_cast<Conv2d>(child)) y = c->forward(y);
            else if (auto t = std::dynamic_pointer_cast<ConvTranspose2d>(child)) y = t->forward(y);
            else y = std::dynamic_pointer_cast<ReLU>(child)->forward(y);
        }
        return y;
    }

    // The ops of a graph, from its output back to its leaves, in the engine's order of edges.
    void collect_ops(const std::shared_ptr<Node>& node, std::vector<std::string>& ops)
    {
        if (node == nullptr || node->is_accumulator())
        {
            return;
        }
        ops.push_back(node->name());
        for (const auto& next : node->next())
        {
            collect_ops(next, ops);
        }
    }
}

// Where no graph is recorded the pairs run fused, with the values of the layers one by one;
// in training they do not (see forward_relu), and the graph is the unfused one.
TEST(SequentialFusion, FusedInInferenceChangesNoNumber)
{
    auto model = small_model();
    manual_seed(605);
    const Tensor x = randn({2, 3, 16, 16});
    {
        no_grad_guard no_grad;
        EXPECT_EQ(model->forward(x).to_vector(), child_by_child(*model, x).to_vector());
        auto copy = std::dynamic_pointer_cast<Sequential>(model->clone());   // a clone fuses alike
        EXPECT_EQ(copy->forward(x).to_vector(), child_by_child(*model, x).to_vector());
    }
    const Tensor trained = model->forward(x);
    std::vector<std::string> ops;
    collect_ops(trained.grad_fn(), ops);
    EXPECT_EQ(ops, (std::vector<std::string>{"conv2d", "relu", "relu", "conv_transpose2d", "relu", "conv2d", "relu",
                                             "conv2d"}));
    EXPECT_EQ(trained.to_vector(), child_by_child(*model, x).to_vector());
}

TEST(SequentialFusion, CallsTheFusedFormOnlyWhereItMay)
{
    static_assert(detail::has_forward_relu<Conv2d>::value && detail::has_forward_relu<ConvTranspose2d>::value);
    static_assert(detail::has_forward_relu<CountingConv>::value);
    static_assert(!detail::has_forward_relu<DoubledConv>::value && !detail::has_forward_relu<ReLU>::value);
    manual_seed(606);
    auto conv = std::make_shared<CountingConv>(Conv2dOptions(2, 3, 3));
    Sequential model(conv, std::make_shared<ReLU>());
    const Tensor x = randn({1, 2, 5, 5});
    no_grad_guard no_grad;
    const Tensor y = model.forward(x);
    EXPECT_EQ(conv->fused_calls, 1);
    EXPECT_EQ(y.to_vector(), relu(conv->forward(x)).to_vector());
    {
        detect_anomaly_guard anomaly;   // names ops one by one
        model.forward(x);
    }
    summary(model, {1, 2, 5, 5});   // lists the ReLU as a layer of its own
    EXPECT_EQ(conv->fused_calls, 1);
    Sequential no_relu_after(conv, std::make_shared<Sigmoid>());
    no_relu_after.forward(x);
    EXPECT_EQ(conv->fused_calls, 1);

    // A subclass with a forward of its own is called through that forward.
    auto doubled = std::make_shared<DoubledConv>(Conv2dOptions(2, 3, 3));
    Sequential with_doubled(doubled, std::make_shared<ReLU>());
    EXPECT_EQ(with_doubled.forward(x).to_vector(), relu(doubled->forward(x)).to_vector());
}

TEST(SequentialFusion, SummaryStillListsTheRelus)
{
    auto model = small_model();
    const std::string table = summary(*model, {1, 3, 8, 8});
    for (const char* row : {"1 ", "3 ", "5 ", "6 "})
    {
        EXPECT_NE(table.find(std::string("\n") + row), std::string::npos) << row << "\n" << table;
    }
}

TEST(SequentialFusion, ErrorsStillNameTheLayer)
{
    auto model = small_model();
    no_grad_guard no_grad;   // the fused path
    try
    {
        model->forward(randn({1, 4, 8, 8}));
        FAIL() << "no exception";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_EQ(std::string(e.what()).rfind("0 (Conv2d): conv2d: ", 0), 0u) << e.what();
    }
}
