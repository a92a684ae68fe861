// python_float: a number as Python's repr(float) prints it ("0.01", "1.0", "1e-05"), for the
// layers' extra_repr texts, which copy torch.nn's. Internal to layers/*.cpp; not installed.
#pragma once
#include <string>

namespace adjoint::detail
{
    // `as_int` drops the ".0" of integral values (options whose PyTorch defaults are ints).
    std::string python_float(double v, bool as_int = false);
}
