// Upsample (see upsample.hpp).
#include <adjoint/layers/pooling.hpp>
#include <adjoint/layers/upsample.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace adjoint
{
    namespace
    {
        // Python's repr of a float: the shortest text that reads back the same, with ".0" on
        // whole numbers ("2.0", "1.5", "0.1").
        std::string py_float(double v)
        {
            char buffer[32];
            for (int precision = 1; precision <= 17; ++precision)
            {
                std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
                if (std::strtod(buffer, nullptr) == v)
                {
                    break;
                }
            }
            std::string s = buffer;
            if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos)
            {
                s += ".0";
            }
            return s;
        }
    }

    Tensor Upsample::forward(const Tensor& x)
    {
        return guarded([&] { return interpolate(x, m_options); });
    }

    std::string Upsample::extra_repr() const
    {
        std::string info;
        if (m_options.scale_factor())
        {
            const auto& s = *m_options.scale_factor();
            info = "scale_factor=" +
                   (s[0] == s[1] ? py_float(s[0]) : detail::str("(", py_float(s[0]), ", ", py_float(s[1]), ")"));
        }
        else if (m_options.size())
        {
            info = "size=" + detail::pool_pair_str(*m_options.size());
        }
        else
        {
            info = "size=None";
        }
        return info + ", mode=" + m_options.mode();
    }

    std::shared_ptr<Module> Upsample::clone() const { return clone_into(*this, std::make_shared<Upsample>(m_options)); }
}
