// Activation and dropout layers: construction-time checks (the functional ops' own rules) and
// extra_repr as PyTorch prints it. Numbers print like Python floats (0.01, 1.0, 1e-05), except
// Softplus's, whose PyTorch defaults are ints (beta=1, threshold=20): integral values print
// without ".0" there.
#include <adjoint/layers/activation.hpp>
#include <adjoint/layers/python_repr.hpp>

#include <algorithm>
#include <string>

namespace adjoint
{
    std::string LeakyReLU::extra_repr() const { return "negative_slope=" + detail::python_float(m_options.negative_slope()); }

    std::string ELU::extra_repr() const { return "alpha=" + detail::python_float(m_options.alpha()); }

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
        return "beta=" + detail::python_float(m_options.beta(), true) + ", threshold=" + detail::python_float(m_options.threshold(), true);
    }

    Dropout::Dropout(const DropoutOptions& options) : m_options(options)
    {
        detail::check_dropout_probability("Dropout", m_options.p());
    }

    std::string Dropout::extra_repr() const { return "p=" + detail::python_float(m_options.p()) + ", inplace=False"; }

    Dropout2d::Dropout2d(const DropoutOptions& options) : m_options(options)
    {
        detail::check_dropout_probability("Dropout2d", m_options.p());
    }

    std::string Dropout2d::extra_repr() const { return "p=" + detail::python_float(m_options.p()) + ", inplace=False"; }
}
