// adjoint::testing — GoogleTest assertions for tensors and gradients:
// EXPECT_TENSOR_NEAR / ASSERT_TENSOR_NEAR (max difference and first mismatches on failure),
// EXPECT_TENSOR_SHAPE, EXPECT_GRADCHECK / EXPECT_GRADGRADCHECK (and their _WITH forms taking
// gradcheck_options first), EXPECT_MODULE_GRADCHECK(_WITH) for a module's parameters and inputs,
// and EXPECT_THROW_MESSAGE for checking error texts exactly. Link adjoint::testing.
#pragma once
#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/autograd/tensor.hpp>
#include <adjoint/layers/gradcheck_module.hpp>

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
    // Runs f; succeeds only if it throws E (or a subclass) whose what() is exactly `message`.
    // EXPECT_THROW_MESSAGE is the usual way to call it.
    template <class E, class F>
    ::testing::AssertionResult throws_with_message(F&& f, const std::string& message)
    {
        try
        {
            f();
        }
        catch (const E& e)
        {
            if (message == e.what())
            {
                return ::testing::AssertionSuccess();
            }
            return ::testing::AssertionFailure() << "threw the expected type with message\n  \"" << e.what()
                                                 << "\"\nexpected\n  \"" << message << "\"";
        }
        catch (const std::exception& e)
        {
            return ::testing::AssertionFailure() << "threw another exception type: \"" << e.what() << "\"";
        }
        return ::testing::AssertionFailure() << "threw nothing; expected \"" << message << "\"";
    }

    ::testing::AssertionResult gradgradcheck_passes(const char* fn_expr, const char* inputs_expr, const tensor_fn& fn,
                                                    const tensor_list& inputs);
    ::testing::AssertionResult gradcheck_with_passes(const char* options_expr, const char* fn_expr,
                                                     const char* inputs_expr, const gradcheck_options& options,
                                                     const tensor_fn& fn, const tensor_list& inputs);
    ::testing::AssertionResult gradgradcheck_with_passes(const char* options_expr, const char* fn_expr,
                                                         const char* inputs_expr, const gradcheck_options& options,
                                                         const tensor_fn& fn, const tensor_list& inputs);
    ::testing::AssertionResult module_gradcheck_passes(const char* module_expr, const char* fn_expr,
                                                       const char* inputs_expr, Module& module, const tensor_fn& fn,
                                                       const tensor_list& inputs);
    ::testing::AssertionResult module_gradcheck_with_passes(const char* options_expr, const char* module_expr,
                                                            const char* fn_expr, const char* inputs_expr,
                                                            const gradcheck_options& options, Module& module,
                                                            const tensor_fn& fn, const tensor_list& inputs);
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
// The same with gradcheck_options (tolerances, eps, seed) as the first argument:
//   EXPECT_GRADCHECK_WITH(options, fn, {x, w}).
#define EXPECT_GRADCHECK_WITH(options, fn, ...) \
    EXPECT_PRED_FORMAT3(::adjoint::testing::gradcheck_with_passes, options, fn, (::adjoint::tensor_list __VA_ARGS__))
#define EXPECT_GRADGRADCHECK_WITH(options, fn, ...) \
    EXPECT_PRED_FORMAT3(::adjoint::testing::gradgradcheck_with_passes, options, fn, \
                        (::adjoint::tensor_list __VA_ARGS__))
// gradcheck_module(module, fn, inputs): the module's parameters (by dotted name) and the inputs
// that require grad; `{}` for no inputs. EXPECT_MODULE_GRADCHECK(conv, [&](auto& in) { ... }, {x}).
#define EXPECT_MODULE_GRADCHECK(module, fn, ...) \
    EXPECT_PRED_FORMAT3(::adjoint::testing::module_gradcheck_passes, module, fn, (::adjoint::tensor_list __VA_ARGS__))
#define EXPECT_MODULE_GRADCHECK_WITH(options, module, fn, ...) \
    EXPECT_PRED_FORMAT4(::adjoint::testing::module_gradcheck_with_passes, options, module, fn, \
                        (::adjoint::tensor_list __VA_ARGS__))

// EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: ...", reshape(x, {5, 2})): the statement
// comes last so that braces and commas in it need no extra parentheses.
#define EXPECT_THROW_MESSAGE(exception, message, ...) \
    EXPECT_TRUE(::adjoint::testing::throws_with_message<exception>([&] { __VA_ARGS__; }, message))
#define ASSERT_THROW_MESSAGE(exception, message, ...) \
    ASSERT_TRUE(::adjoint::testing::throws_with_message<exception>([&] { __VA_ARGS__; }, message))
