// In-place safety: writes bump a version shared by every handle of a buffer, and backward
// refuses a node whose saved tensor changed after the forward (the gradient would silently
// be wrong); tensors an op does not save may change freely. Also the in-place update API
// optimizers use, and its grad-mode rule.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

using namespace adjoint;

TEST(InPlace, WriteToASavedInputIsRefusedAtBackward)
{
    // The case: without the check, in.grad() came out as [5, 5, 5] instead of [2, 2, 2].
    Tensor in = tensor({1.0, 1.0, 1.0}, float64).requires_grad_();
    Tensor w = full({3}, 2.0, float64);
    Tensor y = sum(in * w);
    w.mutable_data().fill_(5.0);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 1 of 'mul' was modified in place after it was saved; update tensors in "
                         "place only after backward(), or clone() them before writing",
                         y.backward());
}

TEST(InPlace, WithoutTheWriteTheGradientIsRight)
{
    Tensor in = tensor({1.0, 1.0, 1.0}, float64).requires_grad_();
    Tensor w = full({3}, 2.0, float64);
    sum(in * w).backward();
    EXPECT_EQ(in.grad().to_vector(), (std::vector<double>{2, 2, 2}));
}

TEST(InPlace, DetachedHandlesAndReshapesShareTheVersion)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor w = tensor({3.0, 4.0}, float64).requires_grad_();
    Tensor y = sum(x * w);
    {
        no_grad_guard off;
        Tensor view = reshape(w.detach(), {2, 1});   // same buffer as w
        view.mul_(2.0);
    }
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 1 of 'mul' was modified in place after it was saved; update tensors in "
                         "place only after backward(), or clone() them before writing",
                         y.backward());
}

TEST(InPlace, ASavedOutputIsCheckedToo)
{
    Tensor x = tensor({0.5, 1.0}, float64).requires_grad_();
    Tensor y = exp(x);
    Tensor loss = sum(y);   // sum saves nothing, so only exp can object
    y.mutable_data().fill_(0.0);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: the output of 'exp' was modified in place after it was saved; update tensors in "
                         "place only after backward(), or clone() them before writing",
                         loss.backward());
}

TEST(InPlace, ReplacedDataIsRefused)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor w = tensor({3.0, 4.0}, float64).requires_grad_();
    Tensor y = sum(x * w);
    w.mutable_data() = w.data().to(float32).to(float64);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 1 of 'mul' had its data replaced after it was saved (by "
                         "Tensor::mutable_data() assignment or Module::to()); run the forward pass again after the change",
                         y.backward());
}

TEST(InPlace, TensorsThatAreNotSavedMayChange)
{
    // add reads neither input in its backward, so changing one is harmless (as in PyTorch).
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor b = tensor({3.0, 4.0}, float64);
    Tensor y = sum(x + b);
    b.fill_(100.0);
    y.backward();
    EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 1}));
}

TEST(InPlace, UpdatesNeedNoGradForTensorsThatRequireGrad)
{
    Tensor p = tensor({1.0, 2.0}, float64).requires_grad_();
    const Tensor g = tensor({0.5, 0.5}, float64);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "sub_: in-place update of a tensor that requires grad while grad mode is on; it would not be "
                         "recorded in the graph. Run the update under `no_grad_guard` (as an optimizer step does)",
                         p.sub_(g));
    const auto before = p.data().version();
    {
        no_grad_guard off;
        p.sub_(g, 2.0);
    }
    EXPECT_GT(p.data().version(), before);
    EXPECT_EQ(p.to_vector(), (std::vector<double>{0.0, 1.0}));
    EXPECT_TRUE(p.requires_grad());
}

TEST(InPlace, UpdateArithmetic)
{
    no_grad_guard off;
    Tensor y = tensor({1.0, 2.0, 3.0}, float64);
    const Tensor a = tensor({2.0, 2.0, 2.0}, float64);
    const Tensor b = tensor({4.0, 1.0, 0.5}, float64);
    y.add_(a, 0.5);                       // 2 3 4
    EXPECT_EQ(y.to_vector(), (std::vector<double>{2, 3, 4}));
    y.mul_(2.0);                          // 4 6 8
    y.mul_(b);                            // 16 6 4
    EXPECT_EQ(y.to_vector(), (std::vector<double>{16, 6, 4}));
    y.addcmul_(a, b, 0.5);                // + 4 1 0.5
    EXPECT_EQ(y.to_vector(), (std::vector<double>{20, 7, 4.5}));
    y.addcdiv_(a, b, -1.0);               // - 0.5 2 4
    EXPECT_EQ(y.to_vector(), (std::vector<double>{19.5, 5, 0.5}));
    y.copy_(a);
    EXPECT_EQ(y.to_vector(), (std::vector<double>{2, 2, 2}));
    y.zero_();
    EXPECT_EQ(y.to_vector(), (std::vector<double>{0, 0, 0}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "add_: expected an operand of shape (3,) and dtype float64 (the updated tensor's), got (2,) "
                         "float64",
                         y.add_(tensor({1.0, 2.0}, float64)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "copy_: expected an operand of shape (3,) and dtype float64 (the updated tensor's), got (3,) "
                         "float32",
                         y.copy_(a.to(float32)));
}

TEST(InPlace, EverySavedInputIsCheckedPastTheSixtyFourth)
{
    // saves::all_inputs() covers any number of inputs; the check had read one bit per input
    // and ignored inputs 64 and up, so a write to one of them went unnoticed.
    tensor_list inputs;
    for (int i = 0; i < 70; ++i)
    {
        inputs.push_back(full({2}, 1.0, float64).requires_grad_());
    }
    Tensor y = detail::record(
        full({2}, 0.0, float64).data(), "sum_of_70", inputs,
        [n = inputs.size()](const Tensor& g, const std::vector<bool>&) { return tensor_list(n, g); });
    inputs[69].mutable_data().fill_(3.0);
    EXPECT_THROW_MESSAGE(std::logic_error,
                         "backward: input 69 of 'sum_of_70' was modified in place after it was saved; update tensors "
                         "in place only after backward(), or clone() them before writing",
                         sum(y).backward());
}

TEST(InPlace, NamingAnInputPastTheSixtyFourthIsRefused)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "saves::only: input 64 cannot be named one by one (at most inputs 0-63); save all inputs "
                         "instead",
                         detail::saves::only({1, 64}));
    EXPECT_EQ(detail::saves::only({0, 63}).inputs, (std::uint64_t{1} << 63) | 1u);
}
