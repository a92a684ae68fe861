// Tensor handle semantics: leaves and requires_grad, detach, dtype conversion (and its
// gradient), undefined tensors, nested-list construction, and the thread-count setting.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

using namespace adjoint;

TEST(Tensor, NestedListsGiveShapeAndRaggedListsAreRejected)
{
    const Tensor t = tensor({{{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}});
    EXPECT_TENSOR_SHAPE(t, {1, 3, 2});
    EXPECT_EQ(t.dtype(), float32);
    EXPECT_EQ(t.to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 1 expected 2 elements, got 1",
                         tensor({{1.0, 2.0}, {3.0}}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 1 expected a list of 2, got a number",
                         tensor({{1.0, 2.0}, 3.0}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "tensor: nested lists must be rectangular; at depth 1 expected a number, got a list of 2",
                         tensor({1.0, {2.0, 3.0}}));
}

TEST(Tensor, BracesAlwaysMeanAList)
{
    // {{5}, {6}} is a 2x1 column, {5} a one-element vector and a bare number a 0-d tensor.
    EXPECT_TENSOR_SHAPE(tensor({{5}, {6}}), {2, 1});
    EXPECT_TENSOR_SHAPE(tensor({{1.0}}, float64), {1, 1});
    EXPECT_TENSOR_SHAPE(tensor({5}), {1});
    EXPECT_TENSOR_SHAPE(tensor(2.5), {});
    EXPECT_TENSOR_SHAPE(tensor({{{{1, 2.5}}}}), {1, 1, 1, 2});
}

TEST(Tensor, DetachCutsTheGraph)
{
    Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
    Tensor y = x * x;
    EXPECT_FALSE(y.is_leaf());
    EXPECT_EQ(y.grad_fn()->name(), "mul");
    Tensor d = y.detach();
    EXPECT_TRUE(d.is_leaf());
    EXPECT_FALSE(d.requires_grad());
    EXPECT_TENSOR_NEAR(d, y, 0.0, 0.0);
    EXPECT_THROW(y.requires_grad_(false), std::logic_error);
}

TEST(Tensor, ConversionIsDifferentiableAndKeepsValues)
{
    Tensor x = tensor({0.5, -1.25}, float32).requires_grad_();
    Tensor y = x.to(float64);
    EXPECT_EQ(y.dtype(), float64);
    sum(y * y).backward();
    EXPECT_EQ(x.grad().dtype(), float32);
    EXPECT_TENSOR_NEAR(x.grad(), tensor({1.0, -2.5}, float32), 0.0, 0.0);
    // No finite-difference check here: a float32 round trip makes the function piecewise
    // constant at eps=1e-6. The hand-worked gradient above is the check.
}

TEST(Tensor, UndefinedTensorIsAnErrorNotACrash)
{
    Tensor undefined;
    EXPECT_FALSE(undefined.defined());
    EXPECT_THROW(undefined.shape(), std::logic_error);
    Tensor x = tensor({1.0}, float64).requires_grad_();
    EXPECT_FALSE(x.grad().defined());
}

TEST(Tensor, ItemNeedsExactlyOneElement)
{
    EXPECT_EQ(scalar(2.5).item(), 2.5);
    try
    {
        tensor({1.0, 2.0}).item();
        FAIL() << "expected std::invalid_argument";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_STREQ(e.what(), "item: expected a tensor with exactly one element, got shape (2,)");
    }
}

TEST(Threads, CountIsHonouredAndValidated)
{
    const int before = get_num_threads();
    set_num_threads(1);
    EXPECT_EQ(get_num_threads(), 1);
    set_num_threads(2);
    EXPECT_EQ(get_num_threads(), 2);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "set_num_threads: expected at least 1 thread, got 0", set_num_threads(0));
    // A matmul large enough to go through BLAS's pool gives the same values at any count.
    manual_seed(3);
    const Tensor a = randn({64, 96}, float64), b = randn({96, 80}, float64);
    set_num_threads(1);
    const Tensor one = matmul(a, b);
    set_num_threads(2);
    EXPECT_TENSOR_NEAR(matmul(a, b), one, 1e-12, 1e-12);
    set_num_threads(before);
}
