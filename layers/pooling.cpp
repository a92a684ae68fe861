// Pooling layers (see pooling.hpp): forward is the functional op inside guarded(), so an
// error names the layer; extra_repr follows torch.nn's.
#include <adjoint/layers/pooling.hpp>

namespace adjoint
{
    namespace detail
    {
        std::string pool_pair_str(const pair_t& p)
        {
            return p[0] == p[1] ? std::to_string(p[0]) : str("(", p[0], ", ", p[1], ")");
        }
    }

    namespace
    {
        const char* py_bool(bool b) { return b ? "True" : "False"; }
    }

    Tensor MaxPool2d::forward(const Tensor& x)
    {
        return guarded([&] { return max_pool2d(x, m_options.functional()); });
    }

    values_and_indices MaxPool2d::forward_with_indices(const Tensor& x)
    {
        values_and_indices r;
        guarded([&] {
            r = max_pool2d_with_indices(x, m_options.functional());
            return r.values;
        });
        return r;
    }

    std::string MaxPool2d::extra_repr() const
    {
        const auto& o = m_options;
        return detail::str("kernel_size=", detail::pool_pair_str(o.kernel_size()),
                           ", stride=", detail::pool_pair_str(o.stride()), ", padding=", detail::pool_pair_str(o.padding()),
                           ", dilation=", detail::pool_pair_str(o.dilation()), ", ceil_mode=", py_bool(o.ceil_mode()));
    }

    std::shared_ptr<Module> MaxPool2d::clone() const { return clone_into(*this, std::make_shared<MaxPool2d>(m_options)); }

    Tensor AvgPool2d::forward(const Tensor& x)
    {
        return guarded([&] { return avg_pool2d(x, m_options); });
    }

    std::string AvgPool2d::extra_repr() const
    {
        return detail::str("kernel_size=", detail::pool_pair_str(m_options.kernel_size()),
                           ", stride=", detail::pool_pair_str(m_options.stride()),
                           ", padding=", detail::pool_pair_str(m_options.padding()));
    }

    std::shared_ptr<Module> AvgPool2d::clone() const { return clone_into(*this, std::make_shared<AvgPool2d>(m_options)); }

    Tensor AdaptiveAvgPool2d::forward(const Tensor& x)
    {
        return guarded([&] { return adaptive_avg_pool2d(x, m_output_size); });
    }

    std::string AdaptiveAvgPool2d::extra_repr() const
    {
        return "output_size=" + detail::pool_pair_str(m_output_size);
    }

    std::shared_ptr<Module> AdaptiveAvgPool2d::clone() const
    {
        return clone_into(*this, std::make_shared<AdaptiveAvgPool2d>(m_output_size));
    }
}
