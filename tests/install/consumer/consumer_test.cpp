// The installed adjoint, used from another project: a gradient worked by hand, a
// gradcheck through the exported adjoint::testing macros, and a check that the shared
// library really was loaded from the install prefix rather than from a build tree.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <fstream>
#include <string>

using namespace adjoint;

TEST(InstalledAdjoint, GradientByHand)
{
    // f(x, w) = sum(x * w * w + x): df/dx = w^2 + 1, df/dw = 2 x w.
    Tensor x = tensor({1.0, -2.0, 3.0}, float64).requires_grad_();
    Tensor w = tensor({0.5, 4.0, -1.0}, float64).requires_grad_();
    sum(x * w * w + x).backward();
    EXPECT_TENSOR_NEAR(x.grad(), tensor({1.25, 17.0, 2.0}, float64), 1e-12, 0.0);
    EXPECT_TENSOR_NEAR(w.grad(), tensor({1.0, -16.0, -6.0}, float64), 1e-12, 0.0);
    EXPECT_TENSOR_SHAPE(w.grad(), {3});
}

TEST(InstalledAdjoint, Gradcheck)
{
    Tensor a = tensor({{0.5, -1.5}, {2.0, 0.75}}, float64).requires_grad_();
    Tensor b = tensor({1.25, -0.5}, float64).requires_grad_();
    EXPECT_GRADCHECK([](const tensor_list& in) { return in[0] * in[1] / (in[1] * in[1] + 1.0); }, {a, b});
}

#ifdef ADJOINT_EXPECTED_PREFIX
TEST(InstalledAdjoint, LibraryComesFromThePrefix)
{
    // A static build has no libadjoint in the map; a shared one must be the installed copy.
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
    {
        if (line.find("/libadjoint") != std::string::npos)
        {
            EXPECT_NE(line.find(ADJOINT_EXPECTED_PREFIX "/"), std::string::npos) << line;
        }
    }
}
#endif
