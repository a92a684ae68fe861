// Linear: construction checks, parameters and torch.nn.Linear's reset_parameters; Flatten's
// printing. The maths is autograd's linear() and flatten().
#include <adjoint/autograd/creation.hpp>
#include <adjoint/layers/init.hpp>
#include <adjoint/layers/linear.hpp>

#include <cmath>
#include <stdexcept>

namespace adjoint
{
    Linear::Linear(const LinearOptions& options) : m_options(options)
    {
        if (options.in_features() < 0 || options.out_features() < 0)
        {
            throw std::invalid_argument(detail::str("Linear: in_features and out_features must be non-negative, got "
                                                    "in_features=",
                                                    options.in_features(), ", out_features=", options.out_features()));
        }
        m_weight = register_parameter("weight", zeros({options.out_features(), options.in_features()}));
        m_bias = register_parameter("bias", options.bias() ? zeros({options.out_features()}) : Tensor());
        reset_parameters();
    }

    void Linear::reset_parameters()
    {
        init::kaiming_uniform_(m_weight, std::sqrt(5.0));
        if (m_bias.defined())
        {
            const std::int64_t fan_in = m_options.in_features();
            const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
            init::uniform_(m_bias, -bound, bound);
        }
    }

    std::string Linear::extra_repr() const
    {
        return detail::str("in_features=", m_options.in_features(), ", out_features=", m_options.out_features(),
                           ", bias=", m_options.bias() ? "True" : "False");
    }

    std::string Flatten::extra_repr() const
    {
        return detail::str("start_dim=", m_options.start_dim(), ", end_dim=", m_options.end_dim());
    }
}
