// GoogleTest predicate-formatters behind the EXPECT_TENSOR_* and EXPECT_GRAD* macros.
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <sstream>

namespace adjoint::testing
{
    namespace
    {
        std::string index_of(std::int64_t flat, const shape_t& shape) { return shape_str(unravel_index(flat, shape)); }
    }

    ::testing::AssertionResult tensor_near(const char* actual_expr, const char* expected_expr, const char*,
                                           const char*, const Tensor& actual, const Tensor& expected, double atol,
                                           double rtol)
    {
        if (!actual.defined() || !expected.defined())
        {
            return ::testing::AssertionFailure() << (actual.defined() ? expected_expr : actual_expr)
                                                 << " is an undefined tensor";
        }
        if (actual.shape() != expected.shape())
        {
            return ::testing::AssertionFailure() << actual_expr << " has shape " << shape_str(actual.shape()) << " but "
                                                 << expected_expr << " has shape " << shape_str(expected.shape());
        }
        const auto a = actual.to_vector();
        const auto e = expected.to_vector();
        double max_diff = 0.0;
        std::int64_t mismatches = 0;
        std::ostringstream first;
        first.precision(12);
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            const bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
            const double diff = std::abs(a[i] - e[i]);
            if (!both_nan && !(diff <= atol + rtol * std::abs(e[i])))
            {
                if (mismatches < 5)
                {
                    first << "\n  at " << index_of(static_cast<std::int64_t>(i), actual.shape()) << ": " << a[i]
                          << " vs " << e[i];
                }
                ++mismatches;
            }
            if (!both_nan)
            {
                max_diff = std::isnan(diff) ? diff : std::max(max_diff, diff);
            }
        }
        if (mismatches == 0)
        {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << actual_expr << " and " << expected_expr << " differ beyond atol=" << atol
                                             << ", rtol=" << rtol << " at " << mismatches << " of " << a.size()
                                             << " elements; max |difference| = " << max_diff << "; first mismatches:"
                                             << first.str();
    }

    ::testing::AssertionResult tensor_shape(const char* actual_expr, const char*, const Tensor& actual,
                                            const shape_t& shape)
    {
        if (actual.defined() && actual.shape() == shape)
        {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << actual_expr << " has shape "
                                             << (actual.defined() ? shape_str(actual.shape()) : "undefined")
                                             << ", expected " << shape_str(shape);
    }

    namespace
    {
        ::testing::AssertionResult report(const char* what, const char* subject, const gradcheck_result& r)
        {
            if (r.ok)
            {
                return ::testing::AssertionSuccess();
            }
            return ::testing::AssertionFailure() << what << " of " << subject << " failed: " << r.message;
        }
    }

    ::testing::AssertionResult gradcheck_passes(const char* fn_expr, const char*, const tensor_fn& fn,
                                                const tensor_list& inputs)
    {
        return report("gradcheck", fn_expr, gradcheck(fn, inputs));
    }

    ::testing::AssertionResult gradgradcheck_passes(const char* fn_expr, const char*, const tensor_fn& fn,
                                                    const tensor_list& inputs)
    {
        return report("gradgradcheck", fn_expr, gradgradcheck(fn, inputs));
    }

    ::testing::AssertionResult gradcheck_with_passes(const char*, const char* fn_expr, const char*,
                                                     const gradcheck_options& options, const tensor_fn& fn,
                                                     const tensor_list& inputs)
    {
        return report("gradcheck", fn_expr, gradcheck(fn, inputs, options));
    }

    ::testing::AssertionResult gradgradcheck_with_passes(const char*, const char* fn_expr, const char*,
                                                         const gradcheck_options& options, const tensor_fn& fn,
                                                         const tensor_list& inputs)
    {
        return report("gradgradcheck", fn_expr, gradgradcheck(fn, inputs, options));
    }

    ::testing::AssertionResult module_gradcheck_passes(const char* module_expr, const char*, const char*,
                                                       Module& module, const tensor_fn& fn, const tensor_list& inputs)
    {
        return report("gradcheck_module", module_expr, gradcheck_module(module, fn, inputs));
    }

    ::testing::AssertionResult module_gradcheck_with_passes(const char*, const char* module_expr, const char*,
                                                            const char*, const gradcheck_options& options,
                                                            Module& module, const tensor_fn& fn,
                                                            const tensor_list& inputs)
    {
        return report("gradcheck_module", module_expr, gradcheck_module(module, fn, inputs, options));
    }
}
