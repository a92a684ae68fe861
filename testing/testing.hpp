// adjoint::testing — GoogleTest assertions for tensors and gradients:
// EXPECT_TENSOR_NEAR / ASSERT_TENSOR_NEAR (max difference and first mismatches on failure),
// EXPECT_TENSOR_SHAPE, EXPECT_GRADCHECK / EXPECT_GRADGRADCHECK. Link adjoint::testing.
#pragma once
#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/autograd/tensor.hpp>

#include <gtest/gtest.h>

namespace adjoint::testing
{
    // |actual - expected| <= atol + rtol * |expected| elementwise, with equal shapes.
    // NaN matches NaN only at the same position.
    ::testing::AssertionResult tensor_near(const char* actual_expr, const char* expected_expr, const char* atol_expr,
                                           const char* rtol_expr, const Tensor& actual, const Tensor& expected,
                                           double atol, double rtol);
    ::testing::AssertionResult tensor_shape(const char* actual_expr, const char* shape_expr, const Tensor& actual,
                                            const shape_t& shape);
    ::testing::AssertionResult gradcheck_passes(const char* fn_expr, const char* inputs_expr, const tensor_fn& fn,
                                                const tensor_list& inputs);
    ::testing::AssertionResult gradgradcheck_passes(const char* fn_expr, const char* inputs_expr, const tensor_fn& fn,
                                                    const tensor_list& inputs);
}

#define EXPECT_TENSOR_NEAR(actual, expected, atol, rtol) \
    EXPECT_PRED_FORMAT4(::adjoint::testing::tensor_near, actual, expected, atol, rtol)
#define ASSERT_TENSOR_NEAR(actual, expected, atol, rtol) \
    ASSERT_PRED_FORMAT4(::adjoint::testing::tensor_near, actual, expected, atol, rtol)
#define EXPECT_TENSOR_SHAPE(actual, ...) \
    EXPECT_PRED_FORMAT2(::adjoint::testing::tensor_shape, actual, (::adjoint::shape_t __VA_ARGS__))
#define EXPECT_GRADCHECK(fn, ...) \
    EXPECT_PRED_FORMAT2(::adjoint::testing::gradcheck_passes, fn, (::adjoint::tensor_list __VA_ARGS__))
#define EXPECT_GRADGRADCHECK(fn, ...) \
    EXPECT_PRED_FORMAT2(::adjoint::testing::gradgradcheck_passes, fn, (::adjoint::tensor_list __VA_ARGS__))
