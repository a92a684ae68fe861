// Sizes that int64 cannot hold, and memory that cannot be had: every op refuses them with a
// message naming the op and the shape, instead of wrapping around (a tensor claiming 2^64
// elements with nothing stored) or throwing a bare std::bad_alloc. Messages checked exactly.
#include "address_space_limit.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cstdint>
#include <limits>

using namespace adjoint;

namespace
{
    const std::int64_t k_max = std::numeric_limits<std::int64_t>::max();
    const std::int64_t k_min = std::numeric_limits<std::int64_t>::min();
}

TEST(Sizes, CheckedArithmetic)
{
    EXPECT_EQ(checked_mul(3, 4), std::optional<std::int64_t>(12));
    EXPECT_EQ(checked_mul(std::int64_t(1) << 32, std::int64_t(1) << 31), std::nullopt);   // 2^63
    EXPECT_EQ(checked_mul(-(std::int64_t(1) << 32), std::int64_t(1) << 31), std::optional<std::int64_t>(k_min));
    EXPECT_EQ(checked_mul(std::int64_t(1) << 32, std::int64_t(1) << 32), std::nullopt);
    EXPECT_EQ(checked_add(k_max, 1), std::nullopt);
    EXPECT_EQ(checked_add(k_max - 1, 1), std::optional<std::int64_t>(k_max));
    // As in NumPy, a zero makes the count 0 but the other dimensions must still multiply.
    EXPECT_EQ(try_shape_numel({0, std::int64_t(1) << 31, std::int64_t(1) << 31}), std::optional<std::int64_t>(0));
    EXPECT_EQ(try_shape_numel({std::int64_t(1) << 32, 0, std::int64_t(1) << 32}), std::nullopt);
    EXPECT_EQ(try_shape_numel({}), std::optional<std::int64_t>(1));
}

TEST(Sizes, CreationRefusesCountsBeyondInt64)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "array: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (4294967296, 4294967296)",
                         zeros({std::int64_t(1) << 32, std::int64_t(1) << 32}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "array: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (0, 4294967296, 4294967296)",
                         ones({0, std::int64_t(1) << 32, std::int64_t(1) << 32}));
    EXPECT_TENSOR_SHAPE(zeros({0, std::int64_t(1) << 40}), {0, std::int64_t(1) << 40});
}

TEST(Sizes, ReshapeRefusesCountsThatWrapAround)
{
    // 3 * 6148914691236517206 * 3 is 6 modulo 2^64: the unchecked product accepted it.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "reshape: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (3, 6148914691236517206, 3)",
                         reshape(arange(6.0), {3, 6148914691236517206, 3}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: shape (-1, 6148914691236517206, 3) does not fit (6,) (6 elements)",
                         reshape(arange(6.0), {-1, 6148914691236517206, 3}));
}

TEST(Sizes, ShapeOpsRefuseCountsBeyondInt64)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "expand: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (4294967296, 4294967296)",
                         expand(zeros({1, 1}), {std::int64_t(1) << 32, std::int64_t(1) << 32}));
    const Tensor empty_rows = zeros({std::int64_t(1) << 62, 0});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: expected the joined length along axis 0 to fit in int64, got 2 tensors whose lengths "
                         "along it add up to more than 9223372036854775807",
                         cat({empty_rows, empty_rows}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "stack: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (2, 4611686018427387904, 0)",
                         stack({empty_rows, empty_rows}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: expected the padded length of axis 0 to fit in int64, got 3 + 9223372036854775807 + 1 "
                         "for shape (3,)",
                         pad(zeros({3}), {k_max, 1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: negative pads can crop at most the 3 elements of axis 0 of shape (3,), got "
                         "(-9223372036854775808, 0) for that axis",
                         pad(zeros({3}), {k_min, 0}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: expected a shape whose element count fits in int64 (at most 9223372036854775807), got "
                         "shape (4294967296, 4294967296)",
                         pad(zeros({1, 1}), {0, (std::int64_t(1) << 32) - 1, 0, (std::int64_t(1) << 32) - 1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "matmul: expected a shape whose element count fits in int64 (at most 9223372036854775807), "
                         "got shape (4294967296, 4294967296)",
                         matmul(zeros({std::int64_t(1) << 32, 0}), zeros({0, std::int64_t(1) << 32})));
}

TEST(Sizes, AllocationFailuresNameTheOpAndTheSize)
{
    // 2^62 float32 values fit in int64 but their 2^64 bytes do not: refused before asking.
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "array: cannot allocate 18.4 EB for an array of shape (4611686018427387904,) (float32)",
                         zeros({std::int64_t(1) << 62}));
    if (!adjoint_test::k_refused_allocation_throws)
    {
        GTEST_SKIP() << "under AddressSanitizer a refused operator new aborts instead of throwing";
    }
    const adjoint_test::address_space_limit limit(std::uint64_t(1) << 30);
    ASSERT_TRUE(limit.active());
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "array: cannot allocate 8.8 TB for an array of shape (1099511627776,) (float64)",
                         zeros({std::int64_t(1) << 40}, float64));
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "matmul: cannot allocate 4.4 TB for an array of shape (1048576, 1048576) (float32)",
                         matmul(zeros({std::int64_t(1) << 20, 1}), zeros({1, std::int64_t(1) << 20})));
}
