// The vectorised softplus and sigmoid (core/vector_math.hpp), on both of their instruction
// sets: against the scalar formulas they replaced (std::log1p, std::exp) to a few ulps, on
// the values where a vector version can go wrong (+-inf, NaN, overflow of exp, subnormals,
// the threshold), and every element equal whatever its position (lengths 0-40, so each
// tail length is covered): that is what keeps results identical for any thread split.
// Subnormal results may be flushed to 0 (xsimd's exp), which the tolerance allows. The
// contiguous sum must add in its documented order, bit for bit, on both instruction sets.
#include <adjoint/core/vector_math.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace
{
    namespace vm = adjoint::kernels::vector_math;

    template <class T>
    std::vector<T> probe_values()
    {
        const T inf = std::numeric_limits<T>::infinity();
        std::vector<T> v = {T(0), T(-0.0), T(1), T(-1), T(1e-3), T(-1e-3), T(19.5), T(20), T(20.5), T(-20),
                            T(80), T(-80), T(88.5), T(-88.5), T(89), T(-89), T(700), T(-700), T(1e30),
                            T(-1e30), inf, -inf, std::numeric_limits<T>::denorm_min(),
                            std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                            std::numeric_limits<T>::lowest()};
        for (int i = 0; i < 400; ++i)
        {
            v.push_back(static_cast<T>(std::sin(0.37 * i) * 30.0));   // many magnitudes and signs
        }
        return v;
    }

    template <class T>
    T softplus_reference(T x, T beta, T threshold)
    {
        const T v = x * beta;
        return v > threshold ? x : (std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)))) / beta;
    }

    template <class T>
    T sigmoid_reference(T x) { return T(1) / (T(1) + std::exp(-x)); }

    // |a - b| within `ulps` units in the last place of b (both NaN, or equal infinities, pass).
    // A subnormal result may come out as 0: xsimd's exp flushes below the smallest normal
    // number (softplus(-88.5) = 3.7e-39 in float), a difference under 1.2e-38.
    template <class T>
    ::testing::AssertionResult close(T a, T b, int ulps, T x)
    {
        if ((std::isnan(a) && std::isnan(b)) || a == b || std::abs(a - b) < std::numeric_limits<T>::min())
        {
            return ::testing::AssertionSuccess();
        }
        const T tol = ulps * std::numeric_limits<T>::epsilon() * std::max(std::abs(b), std::numeric_limits<T>::min());
        if (std::abs(a - b) <= tol)
        {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << "at x = " << x << ": " << a << " against " << b;
    }

    template <class T>
    void check_against_reference()
    {
        const std::vector<T> x = probe_values<T>();
        const T inf = std::numeric_limits<T>::infinity();
        for (const auto& [beta, threshold] : std::vector<std::pair<T, T>>{{T(1), inf}, {T(1), T(20)}, {T(2.5), T(7)}})
        {
            std::vector<T> out(x.size());
            vm::softplus(x.data(), out.data(), static_cast<std::int64_t>(x.size()), beta, threshold);
            for (std::size_t i = 0; i < x.size(); ++i)
            {
                EXPECT_TRUE(close(out[i], softplus_reference(x[i], beta, threshold), 4, x[i]))
                    << "softplus beta " << beta << " threshold " << threshold << " on " << vm::isa();
            }
        }
        std::vector<T> out(x.size());
        vm::sigmoid(x.data(), out.data(), static_cast<std::int64_t>(x.size()));
        for (std::size_t i = 0; i < x.size(); ++i)
        {
            EXPECT_TRUE(close(out[i], sigmoid_reference(x[i]), 4, x[i])) << "sigmoid on " << vm::isa();
        }
        // The stable form where the naive one overflows, and NaN kept.
        T big[3] = {T(1000), T(-1000), std::numeric_limits<T>::quiet_NaN()}, r[3];
        vm::softplus(big, r, 3, T(1), inf);
        EXPECT_EQ(r[0], T(1000));
        EXPECT_EQ(r[1], T(0));
        EXPECT_TRUE(std::isnan(r[2]));
        vm::sigmoid(big, r, 3);
        EXPECT_EQ(r[0], T(1));
        EXPECT_EQ(r[1], T(0));
        EXPECT_TRUE(std::isnan(r[2]));
    }

    // out[i] for input x[i] is the same bits whether x[i] sits in a full batch or the tail.
    template <class T>
    void check_position_independence()
    {
        const std::vector<T> x = probe_values<T>();
        std::vector<T> whole_sp(x.size()), whole_sg(x.size());
        vm::softplus(x.data(), whole_sp.data(), static_cast<std::int64_t>(x.size()), T(1), T(20));
        vm::sigmoid(x.data(), whole_sg.data(), static_cast<std::int64_t>(x.size()));
        for (std::size_t start = 0; start < 8; ++start)
        {
            for (std::int64_t n = 0; n <= 40; ++n)
            {
                std::vector<T> sp(static_cast<std::size_t>(n) + 1, T(-7)), sg(static_cast<std::size_t>(n) + 1, T(-7));
                vm::softplus(x.data() + start, sp.data(), n, T(1), T(20));
                vm::sigmoid(x.data() + start, sg.data(), n);
                for (std::int64_t i = 0; i < n; ++i)
                {
                    const std::size_t at = start + static_cast<std::size_t>(i);
                    EXPECT_EQ(std::memcmp(&sp[i], &whole_sp[at], sizeof(T)), 0) << "softplus n " << n << " i " << i;
                    EXPECT_EQ(std::memcmp(&sg[i], &whole_sg[at], sizeof(T)), 0) << "sigmoid n " << n << " i " << i;
                }
                EXPECT_EQ(sp[static_cast<std::size_t>(n)], T(-7)) << "wrote past the end, n " << n;
                EXPECT_EQ(sg[static_cast<std::size_t>(n)], T(-7)) << "wrote past the end, n " << n;
            }
        }
    }

    // Runs a check on the CPU's choice and on the baseline.
    template <class F>
    void on_both_isas(F check)
    {
        check();
        vm::use_baseline_for_testing(true);
        EXPECT_EQ(std::string(vm::isa()), "baseline");
        check();
        vm::use_baseline_for_testing(false);
    }
}

TEST(VectorMath, MatchesTheScalarFormulasOnEveryIsa)
{
    on_both_isas([] {
        check_against_reference<float>();
        check_against_reference<double>();
    });
}

TEST(VectorMath, AnElementsValueDoesNotDependOnItsPosition)
{
    on_both_isas([] {
        check_position_independence<float>();
        check_position_independence<double>();
    });
}

TEST(VectorMath, UsesAvx2WhereTheCpuHasIt)
{
#if defined(__x86_64__)
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    EXPECT_EQ(std::string(vm::isa()), avx2 ? "avx2+fma" : "baseline");
#else
    EXPECT_EQ(std::string(vm::isa()), "baseline");
#endif
}

namespace
{
    // The order vector_math.hpp documents for sum: sixteen lanes (lane l takes the values at
    // j = l mod 16 of the whole blocks of 16), then the tail in order, then the lanes in order.
    template <class T>
    double sum_in_documented_order(const T* x, std::int64_t n)
    {
        double lane[16] = {};
        const std::int64_t blocks = n / 16 * 16;
        for (std::int64_t j = 0; j < blocks; ++j)
        {
            lane[j % 16] += static_cast<double>(x[j]);
        }
        double total = 0.0;
        for (std::int64_t j = blocks; j < n; ++j)
        {
            total += static_cast<double>(x[j]);
        }
        for (double l : lane)
        {
            total += l;
        }
        return total;
    }

    template <class T>
    void check_sum()
    {
        std::vector<T> x;
        for (int i = 0; i < 5000; ++i)
        {
            // Magnitudes from 1e-6 to 1e6 and both signs, so the order of the adds shows.
            x.push_back(static_cast<T>(std::sin(0.77 * i) * std::pow(10.0, (i % 13) - 6)));
        }
        for (std::int64_t n : {0, 1, 15, 16, 17, 31, 33, 100, 1023, 5000})
        {
            const double got = vm::sum(x.data(), n), want = sum_in_documented_order(x.data(), n);
            EXPECT_EQ(std::memcmp(&got, &want, sizeof(double)), 0) << "n " << n << ": " << got << " vs " << want;
        }
    }
}

TEST(VectorMath, SumAddsInTheDocumentedOrderOnEveryIsa)
{
    on_both_isas([] {
        check_sum<float>();
        check_sum<double>();
    });
}
