// Upsample (see upsample.hpp).
#include <adjoint/layers/pooling.hpp>
#include <adjoint/layers/python_repr.hpp>
#include <adjoint/layers/upsample.hpp>

#include <string>

namespace adjoint
{
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
                   (s[0] == s[1] ? detail::python_float(s[0]) : detail::str("(", detail::python_float(s[0]), ", ", detail::python_float(s[1]), ")"));
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
