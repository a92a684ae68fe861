// Activation and dropout layers: construction-time checks (the functional ops' own rules) and
// extra_repr as PyTorch prints it. Numbers print like Python floats (0.01, 1.0, 1e-05), except
// Softplus's, whose PyTorch defaults are ints (beta=1, threshold=20): integral values print
// without ".0" there.
#include <adjoint/layers/activation.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace adjoint
{
    namespace
    {
        // repr(float) in Python: the shortest text that reads back as the same double, with
        // ".0" added to integral values. `as_int` drops that ".0".
        std::string python_float(double v, bool as_int = false)
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

    std::string LeakyReLU::extra_repr() const { return "negative_slope=" + python_float(m_options.negative_slope()); }

    std::string ELU::extra_repr() const { return "alpha=" + python_float(m_options.alpha()); }

    GELU::GELU(const GELUOptions& options) : m_options(options)
    {
        detail::check_gelu_approximate("GELU", m_options.approximate());
    }

    std::string GELU::extra_repr() const { return "approximate='" + m_options.approximate() + "'"; }

    Softplus::Softplus(const SoftplusOptions& options) : m_options(options)
    {
        detail::check_softplus_beta("Softplus", m_options.beta());
    }

    std::string Softplus::extra_repr() const
    {
        return "beta=" + python_float(m_options.beta(), true) + ", threshold=" + python_float(m_options.threshold(), true);
    }

    Dropout::Dropout(const DropoutOptions& options) : m_options(options)
    {
        detail::check_dropout_probability("Dropout", m_options.p());
    }

    std::string Dropout::extra_repr() const { return "p=" + python_float(m_options.p()) + ", inplace=False"; }

    Dropout2d::Dropout2d(const DropoutOptions& options) : m_options(options)
    {
        detail::check_dropout_probability("Dropout2d", m_options.p());
    }

    std::string Dropout2d::extra_repr() const { return "p=" + python_float(m_options.p()) + ", inplace=False"; }
}
