// safetensors files shared with Python: adjoint writes a file that tests/python/
// safetensors_interop.py reads with numpy and checks, and reads one that script wrote.
// Both sides build the same arrays from the same rule (cases() and value() here mirror
// CASES and value() there) and compare bit patterns. Skipped, with the reason, when the
// interpreter (ADJOINT_TEST_PYTHON, /usr/bin/python3 by default) or numpy is missing.
#include <adjoint/core/safetensors.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include <unistd.h>

using namespace adjoint;

namespace
{
    struct interop_case
    {
        std::string name;
        adjoint::dtype dt;
        shape_t shape;
    };

    // Names exercise JSON escaping and non-ASCII text (Python writes them as \u escapes).
    const std::vector<interop_case>& cases()
    {
        static const std::vector<interop_case> all = {
            {"scalar_f32", float32, {}},
            {"scalar_f64", float64, {}},
            {"scalar_i64", int64, {}},
            {"empty_f32", float32, {0}},
            {"empty_f64", float64, {2, 0, 3}},
            {"empty_i64", int64, {0, 4}},
            {"layer.0/weight", float32, {3, 5}},
            {"odd", float64, {1, 7, 1, 3}},
            {"\xc3\xbcn\xc3\xaf" "code \"quoted\" \\", int64, {13}},
            {"long_f32", float32, {17, 19}},
        };
        return all;
    }

    // Bit patterns (I64: values) first: zero, -0, 1.5, -2.25 or 1/3, the smallest denormal,
    // the largest finite, +-inf, NaN; then a ramp that is exact in every dtype.
    const std::vector<std::uint32_t> k_f32_specials = {0x00000000, 0x80000000, 0x3FC00000, 0xC0100000, 0x00000001,
                                                       0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000};
    const std::vector<std::uint64_t> k_f64_specials = {
        0x0000000000000000, 0x8000000000000000, 0x3FF8000000000000, 0x3FD5555555555555, 0x0000000000000001,
        0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000};
    const std::vector<std::int64_t> k_i64_specials = {0, -1, 1, std::numeric_limits<std::int64_t>::min(),
                                                      std::numeric_limits<std::int64_t>::max(),
                                                      (std::int64_t{1} << 53) + 1};

    template <class Bits, class Value>
    Bits value(const std::vector<Bits>& specials, std::int64_t case_index, std::int64_t i, Value ramp)
    {
        const auto n = static_cast<std::int64_t>(specials.size());
        if (i < n)
        {
            return specials[static_cast<std::size_t>((i + case_index) % n)];   // rotated: scalars differ too
        }
        Bits bits;
        static_assert(sizeof bits == sizeof ramp);
        std::memcpy(&bits, &ramp, sizeof bits);
        return bits;
    }

    array expected_array(const interop_case& c, std::int64_t k)
    {
        array a = array::empty(c.shape, c.dt);
        for (std::int64_t i = 0; i < a.numel(); ++i)
        {
            const double ramp = static_cast<double>(i) * 0.5 - 7 + 1000 * static_cast<double>(k);
            if (c.dt == float32)
            {
                const std::uint32_t bits = value(k_f32_specials, k, i, static_cast<float>(ramp));
                std::memcpy(a.data<float>() + i, &bits, 4);
            }
            else if (c.dt == float64)
            {
                const std::uint64_t bits = value(k_f64_specials, k, i, ramp);
                std::memcpy(a.data<double>() + i, &bits, 8);
            }
            else
            {
                a.data<std::int64_t>()[i] = value(k_i64_specials, k, i, i * 3 - 7 + 1000 * k);
            }
        }
        return a;
    }

    named_arrays expected()
    {
        named_arrays all;
        for (std::size_t k = 0; k < cases().size(); ++k)
        {
            all.add(cases()[k].name, expected_array(cases()[k], static_cast<std::int64_t>(k)));
        }
        return all;
    }

    std::string bytes(const array& a)
    {
        return std::string(static_cast<const char*>(a.data_ptr()), a.nbytes());
    }

    std::string quoted(const std::string& s)   // for /bin/sh: '...' with ' as '\''
    {
        std::string q = "'";
        for (const char c : s)
        {
            q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        return q + "'";
    }

    // Runs the interop script; returns its exit status and, in `output`, what it printed.
    int run_script(const std::string& args, std::string& output)
    {
        const std::string log = std::string(::testing::TempDir()) + "adjoint_st_interop_" +
                                std::to_string(::getpid()) + ".log";
        const std::string command = quoted(ADJOINT_TEST_PYTHON) + " " +
                                    quoted(std::string(ADJOINT_TEST_PYTHON_DIR) + "/safetensors_interop.py") + " " +
                                    args + " > " + quoted(log) + " 2>&1";
        const int status = std::system(command.c_str());
        std::ifstream in(log);
        output.assign(std::istreambuf_iterator<char>(in), {});
        std::remove(log.c_str());
        return status;
    }

    // Empty if python3 with numpy can run, else why not.
    std::string python_missing()
    {
        const std::string command = quoted(ADJOINT_TEST_PYTHON) + " -c 'import numpy' > /dev/null 2>&1";
        if (::access(ADJOINT_TEST_PYTHON, X_OK) != 0 || std::system(command.c_str()) != 0)
        {
            return std::string("needs ") + ADJOINT_TEST_PYTHON + " with numpy (set ADJOINT_TEST_PYTHON)";
        }
        return "";
    }
}

TEST(SafetensorsInterop, ExpectedValuesAreTheOnesTheScriptChecks)
{
    // Guards the mirror itself: a few values written out by hand from the Python rule.
    const named_arrays e = expected();
    EXPECT_EQ(e.at("scalar_f64").item(), -0.0);
    EXPECT_TRUE(std::signbit(e.at("scalar_f64").item()));
    EXPECT_EQ(e.at("scalar_i64").data<std::int64_t>()[0], 1);
    EXPECT_EQ(e.at("layer.0/weight").flat(9), 4.5 - 7 + 6000);
    EXPECT_EQ(e.at("long_f32").flat(3), -2.25);   // case 9: the specials rotate by 9 % 9 = 0
    EXPECT_EQ(e.at("odd").flat(0), -std::numeric_limits<double>::infinity());   // case 7: (0 + 7) % 9
}

TEST(SafetensorsInterop, PythonReadsWhatAdjointWrites)
{
    const std::string missing = python_missing();
    if (!missing.empty())
    {
        GTEST_SKIP() << missing;
    }
    named_arrays all = expected();
    all.metadata["writer"] = "adjoint \"test\"";
    const std::string path =
        std::string(::testing::TempDir()) + "adjoint_st_from_cpp_" + std::to_string(::getpid()) + ".safetensors";
    save_safetensors(path, all);
    std::string output;
    EXPECT_EQ(run_script("check " + quoted(path), output), 0) << output;
}

TEST(SafetensorsInterop, AdjointReadsWhatPythonWrites)
{
    const std::string missing = python_missing();
    if (!missing.empty())
    {
        GTEST_SKIP() << missing;
    }
    const std::string path =
        std::string(::testing::TempDir()) + "adjoint_st_from_python_" + std::to_string(::getpid()) + ".safetensors";
    std::string output;
    ASSERT_EQ(run_script("write " + quoted(path), output), 0) << output;

    const named_arrays got = load_safetensors(path);
    const named_arrays want = expected();
    EXPECT_EQ(got.metadata, (std::map<std::string, std::string>{{"writer", "numpy"}}));
    ASSERT_EQ(got.entries.size(), want.entries.size());
    for (std::size_t i = 0; i < want.entries.size(); ++i)
    {
        const auto& [name, a] = got.entries[i];
        EXPECT_EQ(name, want.entries[i].first);
        EXPECT_EQ(a.dtype(), want.entries[i].second.dtype()) << name;
        EXPECT_EQ(a.shape(), want.entries[i].second.shape()) << name;
        EXPECT_EQ(bytes(a), bytes(want.entries[i].second)) << name;
    }
}
