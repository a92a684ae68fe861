// The int64 dtype: creation, conversion (truncation toward zero; NaN and out-of-range values
// refused), printing, comparisons (also with scalars), data movement, exact integer
// arithmetic, and a clear error from every op that has no integer meaning.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <limits>

using namespace adjoint;

TEST(Int64, CreationStorageAndBytes)
{
    const Tensor t = tensor({{1, -2, 3}, {4, 5, 6}}, int64);
    EXPECT_EQ(t.dtype(), int64);
    EXPECT_EQ(dtype_size(int64), 8u);
    EXPECT_STREQ(dtype_name(int64), "int64");
    EXPECT_FALSE(is_floating(int64));
    EXPECT_TRUE(is_floating(float32));
    EXPECT_EQ(t.data().nbytes(), 48u);
    const auto* p = static_cast<const std::int64_t*>(t.data().data_ptr());
    EXPECT_EQ(p[1], -2);
    EXPECT_EQ(t.data().data<std::int64_t>()[5], 6);
    EXPECT_EQ(zeros({2}, int64).to_vector(), (std::vector<double>{0, 0}));
    EXPECT_EQ(arange(4.0, int64).to_vector(), (std::vector<double>{0, 1, 2, 3}));
    EXPECT_THROW_MESSAGE(std::logic_error, "array::data: requested float access, got int64",
                         t.data().data<float>());
}

TEST(Int64, ValuesBeyondDoublePrecisionStayExact)
{
    // 2^53 + 1 has no double: the int64 buffer keeps it, and printing shows it exactly.
    array a = array::empty({1}, int64);
    a.data<std::int64_t>()[0] = (std::int64_t{1} << 53) + 1;
    EXPECT_EQ(to_string(Tensor(a)), "tensor([9007199254740993], shape=(1,), dtype=int64)");
}

TEST(Int64, ConversionTruncatesTowardZeroAndRefusesNaN)
{
    const Tensor x = tensor({2.7, -2.7, 0.0}, float64);
    EXPECT_EQ(x.to(int64).to_vector(), (std::vector<double>{2, -2, 0}));
    EXPECT_EQ(tensor({3, 4}, int64).to(float32).dtype(), float32);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "to: cannot convert nan to int64 (NaN, infinite or outside [-2^63, 2^63))",
                         tensor({1.0, std::nan("")}).to(int64));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "to: cannot convert 1e+19 to int64 (NaN, infinite or outside [-2^63, 2^63))",
                         tensor({1e19}, float64).to(int64));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "fill_: cannot convert inf to int64 (NaN, infinite or outside [-2^63, 2^63))",
                         full({2}, std::numeric_limits<double>::infinity(), int64));
    // Not differentiable, as in PyTorch: the result is a plain tensor.
    const Tensor w = tensor({1.5}, float64).requires_grad_();
    EXPECT_FALSE(w.to(int64).requires_grad());
}

TEST(Int64, Printing)
{
    EXPECT_EQ(to_string(tensor({{1, -20}, {300, 4}}, int64)),
              "tensor([[  1, -20],\n        [300,   4]], shape=(2, 2), dtype=int64)");
    EXPECT_EQ(to_string(scalar(7, int64)), "tensor(7, shape=(), dtype=int64)");
}

TEST(Int64, ComparisonsAndExactArithmetic)
{
    const Tensor a = tensor({1, 5, 3}, int64);
    const Tensor b = tensor({2, 5, 1}, int64);
    EXPECT_EQ(eq(a, b).to_vector(), (std::vector<double>{0, 1, 0}));
    EXPECT_EQ(eq(a, b).dtype(), int64);
    EXPECT_EQ((a > b).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ((a + b).to_vector(), (std::vector<double>{3, 10, 4}));
    EXPECT_EQ((a * b - a).to_vector(), (std::vector<double>{1, 20, 0}));
    EXPECT_EQ(maximum(a, b).to_vector(), (std::vector<double>{2, 5, 3}));
    EXPECT_EQ(sum(a).item(), 9.0);
    EXPECT_EQ(sum(a).dtype(), int64);
    EXPECT_EQ(argmax(a).item(), 1.0);
}

TEST(Int64, ScalarComparisonsOnEveryDtype)
{
    const Tensor t = tensor({-1.0, 0.0, 2.0});
    EXPECT_EQ((t > 0.0).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ((t >= 0.0).to_vector(), (std::vector<double>{0, 1, 1}));
    EXPECT_EQ((0.0 < t).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ((t == 2.0).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ((t != 2.0).to_vector(), (std::vector<double>{1, 1, 0}));
    EXPECT_EQ((t <= -1.0).to_vector(), (std::vector<double>{1, 0, 0}));
    // An int64 tensor against a fractional scalar compares exactly, not against a truncated 2.
    const Tensor labels = tensor({1, 2, 3}, int64);
    EXPECT_EQ((labels > 2.5).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ((2.5 > labels).to_vector(), (std::vector<double>{1, 1, 0}));
    EXPECT_EQ((labels > 2.5).dtype(), int64);
    EXPECT_EQ(eq(labels, 3).to_vector(), (std::vector<double>{0, 0, 1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "add: an int64 tensor takes integer scalars, got 2.5; convert the tensor with .to(float32) first",
                         labels + 2.5);
}

TEST(Int64, DataMovementWorks)
{
    const Tensor t = tensor({{1, 2, 3}, {4, 5, 6}}, int64);
    EXPECT_EQ(reshape(t, {3, 2}).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(transpose(t, 0, 1).to_vector(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
    EXPECT_EQ(cat({t, t}, 0).shape(), (shape_t{4, 3}));
    EXPECT_EQ(narrow(t, 1, 1, 2).to_vector(), (std::vector<double>{2, 3, 5, 6}));
    EXPECT_EQ(pad(t, {1, 0}, -1.0).to_vector(), (std::vector<double>{-1, 1, 2, 3, -1, 4, 5, 6}));
    EXPECT_EQ(stack({t, t}, 0).shape(), (shape_t{2, 2, 3}));
    EXPECT_EQ(t.data().clone().to_vector(), t.to_vector());
}

TEST(Int64, OpsWithoutIntegerMeaningSaySo)
{
    const Tensor t = tensor({1, 2}, int64);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "exp: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         exp(t));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "div: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         t / t);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "matmul: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         matmul(reshape(t, {1, 2}), reshape(t, {2, 1})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "relu: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         relu(t));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: expected a float32 or float64 tensor, got int64; convert it with .to(float32) first",
                         conv2d(zeros({1, 1, 3, 3}, int64), zeros({1, 1, 1, 1}, int64)));
    Tensor u = t;
    EXPECT_THROW_MESSAGE(std::logic_error, "requires_grad_: only float32 and float64 tensors can require gradients, got int64",
                         u.requires_grad_());
}
