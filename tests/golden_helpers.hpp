// Helpers shared by the op suites: loading PyTorch goldens (tests/fixtures/<family>/, written
// by tests/fixtures/generate_<family>.py) and comparing an op's output and input gradients with
// them, plus deterministic float64 inputs for gradchecks.
#pragma once
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace golden
{
    using namespace adjoint;

    inline Tensor fixture(const std::string& family, const std::string& name)
    {
        return load_npy(std::string(ADJOINT_FIXTURES) + "/" + family + "/" + name + ".npy");
    }

    inline tensor_list fixture_inputs(const std::string& family, const std::string& name, std::size_t count,
                                      bool requires_grad)
    {
        tensor_list xs;
        for (std::size_t i = 0; i < count; ++i)
        {
            Tensor x = fixture(family, name + "_x" + std::to_string(i));
            xs.push_back(requires_grad ? x.requires_grad_() : x);
        }
        return xs;
    }

    // Loads <name>_x0.. as leaves, runs fn, and compares the output and the input gradients
    // under the stored upstream gradient with PyTorch's at 1e-10.
    inline void expect_matches_golden(const std::string& family, const std::string& name, std::size_t inputs,
                                      const tensor_fn& fn)
    {
        SCOPED_TRACE("golden case " + name);
        const tensor_list xs = fixture_inputs(family, name, inputs, true);
        Tensor y = fn(xs);
        EXPECT_TENSOR_NEAR(y, fixture(family, name + "_y"), 1e-10, 1e-10);
        const tensor_list grads = grad({y}, xs, {fixture(family, name + "_gy")});
        for (std::size_t i = 0; i < inputs; ++i)
        {
            EXPECT_TENSOR_NEAR(grads[i], fixture(family, name + "_gx" + std::to_string(i)), 1e-10, 1e-10)
                << "input " << i;
        }
    }

    // Outputs only, for ops without a gradient (comparisons, argmax).
    inline void expect_forward_matches_golden(const std::string& family, const std::string& name, std::size_t inputs,
                                              const tensor_fn& fn)
    {
        SCOPED_TRACE("golden case " + name);
        EXPECT_TENSOR_NEAR(fn(fixture_inputs(family, name, inputs, false)), fixture(family, name + "_y"), 0.0, 0.0);
    }

    // A float64 leaf of `shape` holding lo, lo + step, lo + 2 step, ... in row-major order, so a
    // misplaced element shows.
    inline Tensor distinct(const shape_t& shape, double lo = -1.1, double step = 0.37)
    {
        Tensor t = reshape(arange(static_cast<double>(shape_numel(shape)), float64) * step + lo, shape);
        return t.detach().requires_grad_();
    }

    // A float64 leaf of `shape` whose values are a fixed irregular pattern with no ties and no
    // zeros (safe for gradcheck of kinked functions away from their kinks).
    inline Tensor irregular(const shape_t& shape, double lo = -1.0, double hi = 1.0)
    {
        std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            // Golden-ratio stepping spreads values evenly without repeats.
            const double frac = static_cast<double>(i) * 0.6180339887498949 + 0.137;
            v[i] = lo + (hi - lo) * (frac - static_cast<double>(static_cast<long>(frac)));
        }
        return from_vector(v, shape, float64).requires_grad_();
    }

    // One line of a fixture family's manifest.txt ("<op> <name> key=value ..."), as written
    // by the generators that describe each case by its options.
    struct manifest_case
    {
        std::string op, name;
        std::map<std::string, std::string> fields;
        bool flag(const std::string& key) const { return fields.at(key) == "1"; }
    };

    // The cases of tests/fixtures/<family>/manifest.txt, those of one op when `op` is given.
    inline std::vector<manifest_case> load_manifest(const std::string& family, const std::string& op = "")
    {
        std::ifstream in(std::string(ADJOINT_FIXTURES) + "/" + family + "/manifest.txt");
        std::vector<manifest_case> cases;
        std::string line;
        while (std::getline(in, line))
        {
            if (line.empty() || line[0] == '#')
            {
                continue;
            }
            std::istringstream words(line);
            manifest_case c;
            words >> c.op >> c.name;
            std::string field;
            while (words >> field)
            {
                const auto eq = field.find('=');
                c.fields[field.substr(0, eq)] = field.substr(eq + 1);
            }
            if (op.empty() || c.op == op)
            {
                cases.push_back(c);
            }
        }
        return cases;
    }
} // namespace golden
