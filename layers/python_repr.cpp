// python_float (see python_repr.hpp).
#include <adjoint/layers/python_repr.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace adjoint::detail
{
    // repr(float) in Python: the shortest text that reads back as the same double, with
    // ".0" added to integral values. `as_int` drops that ".0".
    std::string python_float(double v, bool as_int)
    {
        if (std::isnan(v))
        {
            return "nan";
        }
        if (std::isinf(v))
        {
            return v > 0 ? "inf" : "-inf";
        }
        // The fewest significant digits that read back exactly, then Python's layout:
        // positional for decimal exponents in [-4, 16), scientific otherwise.
        char buf[40];
        int digits = 1;
        for (; digits < 17; ++digits)
        {
            std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
            if (std::strtod(buf, nullptr) == v)
            {
                break;
            }
        }
        std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
        const int exponent = std::atoi(std::strchr(buf, 'e') + 1);
        if (exponent >= -4 && exponent < 16)
        {
            std::snprintf(buf, sizeof buf, "%.*f", std::max(digits - 1 - exponent, 0), v);
        }
        std::string s = buf;
        if (!as_int && s.find_first_of(".en") == std::string::npos)
        {
            s += ".0";
        }
        return s;
    }
}
