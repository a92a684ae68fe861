// The Module base: one name table per module, introspection with PyTorch's names (shared
// tensors and modules listed once), no accidental copies and deep clones, any forward
// signature, buffers, state_dict / load_state_dict (all-or-nothing, one report), to(dtype),
// errors that name the layer's dotted path, printing and summary; Sequential::replace.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <sstream>
#include <type_traits>

using namespace adjoint;

namespace
{
    // A U-Net style up block: its forward takes the skip tensor too.
    class UpBlock : public Module
    {
    public:
        UpBlock(std::int64_t in, std::int64_t out)
            : up(register_module("up", std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(in, out, 2).stride(2)))),
              conv(register_module("conv", std::make_shared<Conv2d>(Conv2dOptions(2 * out, out, 3).padding(1))))
        {
        }
        Tensor forward(const Tensor& x, const Tensor& skip) { return conv->forward(cat({up->forward(x), skip}, 1)); }
        std::shared_ptr<ConvTranspose2d> up;
        std::shared_ptr<Conv2d> conv;
    };

    class Net : public Module
    {
    public:
        Net()
            : down(register_module("down", std::make_shared<Conv2d>(Conv2dOptions(3, 4, 3).stride(2).padding(1)))),
              block(register_module("block", std::make_shared<UpBlock>(4, 3))),
              scale(register_parameter("scale", ones({1}))),
              steps(register_buffer("steps", zeros({}, int64))),
              scratch(register_buffer("scratch", zeros({2}), /*persistent=*/false))
        {
        }
        Tensor forward(const Tensor& x) { return block->forward(down->forward(x), x) * scale; }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Net>()); }

        std::shared_ptr<Conv2d> down;
        std::shared_ptr<UpBlock> block;
        Tensor scale, steps, scratch;
    };

    class Bare : public Module
    {
    public:
        void add_parameter(const std::string& name) { register_parameter(name, zeros({1})); }
        void add_buffer(const std::string& name) { register_buffer(name, zeros({1})); }
        void add_module(const std::string& name) { register_module(name, std::make_shared<Bare>()); }
    };

    std::vector<std::string> names(const named_tensors& list)
    {
        std::vector<std::string> out;
        for (const auto& p : list)
        {
            out.push_back(p.first);
        }
        return out;
    }
}

TEST(Module, OneNameTableAcrossParametersBuffersAndChildren)
{
    Bare m;
    m.add_parameter("a");
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Bare: cannot register parameter 'a': the name is already taken by a parameter",
                         m.add_parameter("a"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Bare: cannot register buffer 'a': the name is already taken by a parameter",
                         m.add_buffer("a"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Bare: cannot register module 'a': the name is already taken by a parameter",
                         m.add_module("a"));
    m.add_module("child");
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Bare: cannot register parameter 'child': the name is already taken by a module",
                         m.add_parameter("child"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Bare: parameter names must be non-empty and contain no '.', got ''",
                         m.add_parameter(""));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Bare: buffer names must be non-empty and contain no '.', got 'x.y'",
                         m.add_buffer("x.y"));
}

TEST(Module, CopiesDoNotCompileAndCloneIsDeep)
{
    static_assert(!std::is_copy_constructible_v<Conv2d>, "copying a layer must not compile");
    static_assert(!std::is_copy_assignable_v<Sequential>, "copying a layer must not compile");
    Conv2d a(Conv2dOptions(2, 3, 3));
    auto b = std::static_pointer_cast<Conv2d>(a.clone());
    EXPECT_FALSE(b->weight().is_same(a.weight()));
    EXPECT_EQ(b->weight().to_vector(), a.weight().to_vector());
    EXPECT_TRUE(b->weight().requires_grad());
    {
        no_grad_guard off;
        b->weight().fill_(0.0);
    }
    EXPECT_NE(a.weight().to_vector(), b->weight().to_vector());

    Net net;
    net.eval();
    auto copy = std::static_pointer_cast<Net>(net.clone());
    EXPECT_FALSE(copy->is_training());
    EXPECT_FALSE(copy->block->conv->is_training());
    EXPECT_EQ(names(copy->state_dict()), names(net.state_dict()));
    EXPECT_FALSE(copy->block->up->weight().is_same(net.block->up->weight()));
    EXPECT_EQ(copy->block->up->weight().to_vector(), net.block->up->weight().to_vector());
}

TEST(Module, SequentialListsASharedChildsParametersOnce)
{
    auto c = std::make_shared<Conv2d>(Conv2dOptions(2, 2, 1));
    Sequential seq(c, c);
    EXPECT_EQ(seq.size(), 2u);
    EXPECT_EQ(seq.parameters().size(), 2u);                       // weight and bias, once
    EXPECT_EQ(names(seq.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
    EXPECT_EQ(seq.named_modules().size(), 2u);                    // the Sequential and c
    EXPECT_EQ(seq.state_dict().size(), 4u);                       // as PyTorch: under both keys
    auto copy = std::static_pointer_cast<Sequential>(seq.clone());
    EXPECT_EQ((*copy)[0], (*copy)[1]);                            // still one shared module
    EXPECT_NE((*copy)[0], seq[0]);
    EXPECT_THROW_MESSAGE(std::out_of_range, "Sequential: index 2 is out of range for 2 modules", seq[2]);
}

TEST(Module, SequentialReplacePutsANewLayerInPlace)
{
    manual_seed(0);
    auto first = std::make_shared<Conv2d>(Conv2dOptions(1, 2, 3).padding(1));
    auto last = std::make_shared<Conv2d>(Conv2dOptions(2, 2, 1));
    Sequential seq(first, std::make_shared<ReLU>(), last);
    auto wider = std::make_shared<Conv2d>(Conv2dOptions(2, 3, 1));
    EXPECT_EQ(seq.replace(2, wider), last);
    EXPECT_EQ(seq[2], wider);
    EXPECT_EQ(wider->path(), "2");
    EXPECT_EQ(last->path(), "");   // it has left the model
    EXPECT_EQ(names(seq.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
    EXPECT_EQ(seq.named_parameters()[2].second.shape(), (shape_t{3, 2, 1, 1}));
    // The replaced position runs the new layer, and a conv followed by a ReLU still runs fused.
    auto other = std::make_shared<Conv2d>(Conv2dOptions(1, 2, 3).padding(1));
    seq.replace(0, other);
    const Tensor x = randn({1, 1, 5, 5});
    EXPECT_TENSOR_NEAR(seq(x), wider->forward(relu(other->forward(x))), 0.0, 0.0);
    // A module listed twice: only the position given changes, and the other keeps its name.
    auto c = std::make_shared<Conv2d>(Conv2dOptions(2, 2, 1));
    Sequential twice(c, c);
    twice.replace(0, wider);
    EXPECT_EQ(twice[1], c);
    EXPECT_EQ(c->path(), "1");
    EXPECT_THROW_MESSAGE(std::out_of_range, "Sequential: index 3 is out of range for 2 modules", twice.replace(3, c));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "Sequential: child module '0' cannot be replaced by null",
                         twice.replace(0, std::shared_ptr<Conv2d>()));
    EXPECT_EQ(twice[0], wider);   // nothing changed by the failed calls
}

TEST(Module, AnyForwardSignature)
{
    manual_seed(0);
    Net net;
    const Tensor y = net.forward(randn({1, 3, 8, 8}));
    EXPECT_TENSOR_SHAPE(y, {1, 3, 8, 8});
    ConvTranspose2d up(ConvTranspose2dOptions(2, 2, 3).stride(2));
    EXPECT_TENSOR_SHAPE(up(randn({1, 2, 4, 4}), {10, 10}), {1, 2, 10, 10});
    Sequential seq(std::make_shared<Conv2d>(Conv2dOptions(1, 2, 3)), std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(2, 1, 3)));
    EXPECT_TENSOR_SHAPE(seq(randn({1, 1, 5, 5})), {1, 1, 5, 5});
}

TEST(Module, IntrospectionNamesAndOrder)
{
    Net net;
    EXPECT_EQ(names(net.named_parameters()),
              (std::vector<std::string>{"scale", "down.weight", "down.bias", "block.up.weight", "block.up.bias",
                                        "block.conv.weight", "block.conv.bias"}));
    EXPECT_EQ(names(net.named_buffers()), (std::vector<std::string>{"steps", "scratch"}));
    EXPECT_EQ(names(net.state_dict()),
              (std::vector<std::string>{"scale", "steps", "down.weight", "down.bias", "block.up.weight",
                                        "block.up.bias", "block.conv.weight", "block.conv.bias"}));
    std::vector<std::string> modules;
    for (auto& [name, m] : net.named_modules("net"))
    {
        modules.push_back(name + ":" + m->type_name());
    }
    EXPECT_EQ(modules, (std::vector<std::string>{"net:Net", "net.down:Conv2d", "net.block:UpBlock",
                                                 "net.block.up:ConvTranspose2d", "net.block.conv:Conv2d"}));
    EXPECT_EQ(net.named_children().size(), 2u);
    EXPECT_EQ(net.block->conv->path(), "block.conv");
    std::vector<std::string> visited;
    net.apply([&](Module& m) { visited.push_back(m.type_name()); });
    EXPECT_EQ(visited.back(), "Net");   // children first
    EXPECT_EQ(visited.size(), 5u);
    net.eval();
    EXPECT_FALSE(net.block->up->is_training());
    net.train();
    EXPECT_TRUE(net.block->up->is_training());
}

TEST(Module, ToConvertsFloatingTensorsInPlaceAndKeepsInt64)
{
    Net net;
    Tensor w = net.down->weight();
    net.to(float64);
    EXPECT_EQ(w.dtype(), float64);   // the handle held outside sees the conversion
    EXPECT_EQ(net.steps.dtype(), int64);
    EXPECT_EQ(net.scratch.dtype(), float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "Module::to: expected float32 or float64, got int64 (only floating parameters and buffers are converted)",
                         net.to(int64));
    // A graph recorded before to() refuses to run.
    Tensor loss = sum(net.forward(zeros({1, 3, 4, 4}, float64)));
    net.to(float32);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 1 of 'mul' had its data replaced after it was saved (by Tensor::mutable_data() "
                         "assignment or Module::to()); run the forward pass again after the change",
                         loss.backward());
}

TEST(Module, LoadStateDictWritesIntoTheSameTensors)
{
    Net a, b;
    const Tensor handle = b.down->weight();   // as an optimizer would hold it
    b.load_state_dict(a.state_dict());
    EXPECT_EQ(handle.to_vector(), a.down->weight().to_vector());
    EXPECT_TRUE(handle.is_same(b.down->weight()));
    EXPECT_FALSE(handle.is_same(a.down->weight()));
}

TEST(Module, LoadStateDictReportsEverythingAndChangesNothing)
{
    Net a, b;
    named_tensors state = a.state_dict();
    state.erase(state.begin() + 2);                                   // down.weight missing
    state.emplace_back("extra.weight", zeros({1}));                   // unexpected
    for (auto& [name, t] : state)
    {
        if (name == "block.up.bias")
        {
            t = zeros({7});                                             // wrong shape
        }
        if (name == "steps")
        {
            t = zeros({});                                              // wrong dtype
        }
    }
    const auto before = b.block->conv->weight().to_vector();
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "load_state_dict: cannot load into Net: 'steps' has dtype float32, the model's is int64; "
                         "'block.up.bias' has shape (7,), the model's is (3,); missing keys 'down.weight'; "
                         "unexpected keys 'extra.weight'; nothing was changed",
                         b.load_state_dict(state));
    EXPECT_EQ(b.block->conv->weight().to_vector(), before);
    // Non-strict still rejects mismatches but not missing or unexpected keys.
    named_tensors partial{{"scale", full({1}, 3.0)}, {"other", zeros({1})}};
    b.load_state_dict(partial, /*strict=*/false);
    EXPECT_EQ(b.scale.item(), 3.0);
}

TEST(Module, ErrorsInsideAModelNameTheLayer)
{
    Sequential decoder(std::make_shared<Conv2d>(Conv2dOptions(4, 8, 3)),
                       std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(6, 2, 3)));
    Sequential model;
    model.push_back(std::make_shared<Sequential>(std::make_shared<Conv2d>(Conv2dOptions(3, 4, 1))));
    auto inner = std::make_shared<Sequential>(std::make_shared<Conv2d>(Conv2dOptions(4, 8, 3)),
                                              std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(6, 2, 3)));
    model.push_back(inner);
    try
    {
        model.forward(zeros({1, 3, 8, 8}));
        FAIL() << "expected an exception";
    }
    catch (const std::invalid_argument& e)
    {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind("1.1 (ConvTranspose2d): conv_transpose2d: ", 0), 0u) << msg;
    }
    // A layer on its own keeps the functional op's message unchanged.
    Conv2d alone(Conv2dOptions(3, 4, 1));
    try
    {
        alone.forward(zeros({1, 5, 4, 4}));
        FAIL() << "expected an exception";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_EQ(std::string(e.what()).rfind("conv2d: ", 0), 0u) << e.what();
    }
}

TEST(Module, PrintsTheTreeAsPyTorch)
{
    Sequential seq(std::make_shared<Conv2d>(Conv2dOptions(3, 16, 3).stride(2).padding(1)),
                   std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1).bias(false)));
    EXPECT_EQ(to_string(seq), "Sequential(\n"
                              "  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n"
                              "  (1): ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)\n"
                              ")");
    Net net;
    std::ostringstream out;
    out << net;
    EXPECT_EQ(out.str(), "Net(\n"
                         "  (down): Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n"
                         "  (block): UpBlock(\n"
                         "    (up): ConvTranspose2d(4, 3, kernel_size=(2, 2), stride=(2, 2))\n"
                         "    (conv): Conv2d(6, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
                         "  )\n"
                         ")");
}

TEST(Module, SummaryListsLayersShapesAndCounts)
{
    Net net;
    const std::string s = summary(net, {2, 3, 8, 8});
    EXPECT_EQ(s, "Net on input (2, 3, 8, 8)\n"
                 "-------------------------------------------------\n"
                 "Layer       Type             Output shape  Params\n"
                 "-------------------------------------------------\n"
                 "down        Conv2d           (2, 4, 4, 4)     112\n"
                 "block.up    ConvTranspose2d  (2, 3, 8, 8)      51\n"
                 "block.conv  Conv2d           (2, 3, 8, 8)     165\n"
                 "-------------------------------------------------\n"
                 "Output shape: (2, 3, 8, 8)\n"
                 "Total params: 329\n"
                 "Trainable params: 329\n");
    EXPECT_TRUE(net.is_training());   // restored
    try
    {
        summary(net, {2, 5, 8, 8});
        FAIL() << "expected an exception";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_EQ(std::string(e.what()).rfind("down (Conv2d): conv2d: ", 0), 0u) << e.what();
    }
}
