// A program on the installed adjoint::adjoint alone (no GoogleTest): a convolution layer
// and a matrix product, forward and backward, so BLAS (OpenBLAS, which a static libadjoint
// leaves to this link) really runs. Exits non-zero with a message on a wrong value; it
// checks that linking and running work, not the maths, which the main suites cover.
#include <adjoint/adjoint.hpp>

#include <cmath>
#include <iostream>

using namespace adjoint;

namespace
{
    bool near(double actual, double expected, const char* what)
    {
        if (std::abs(actual - expected) <= 1e-9 * (1.0 + std::abs(expected)))
        {
            return true;
        }
        std::cerr << what << ": expected " << expected << ", got " << actual << "\n";
        return false;
    }
}

int main()
{
    manual_seed(0);
    Conv2d conv(Conv2dOptions(1, 1, 1).bias(false));
    Tensor x = ones({1, 1, 2, 3});
    sum(conv(x)).backward();
    // d/dw sum(w * x) over the 1x1 kernel is the sum of x.
    bool ok = near(conv.weight().grad().item(), 6.0, "conv weight gradient");

    Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}, float64).requires_grad_();
    Tensor b = tensor({{0.5}, {-1.0}}, float64);
    Tensor y = matmul(a, b);
    ok = near(sum(y).item(), -4.0, "matmul") && ok;
    sum(y).backward();
    ok = near(a.grad().to_vector()[1], -1.0, "matmul gradient") && ok;

    std::cout << (ok ? "plain consumer: ok" : "plain consumer: FAILED") << "\n";
    return ok ? 0 : 1;
}
