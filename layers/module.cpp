// Module bookkeeping: parameter and child registration, recursive traversal, modes.
#include <adjoint/autograd/node.hpp>
#include <adjoint/layers/module.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        void check_name(const std::string& name, const char* what)
        {
            if (name.empty() || name.find('.') != std::string::npos)
            {
                throw std::invalid_argument(
                    detail::str("Module: ", what, " names must be non-empty and contain no '.', got '", name, "'"));
            }
        }
    }

    Tensor& Module::register_parameter(const std::string& name, Tensor value)
    {
        check_name(name, "parameter");
        for (const auto& p : m_parameters)
        {
            if (p.first == name)
            {
                throw std::invalid_argument(detail::str("Module: parameter '", name, "' is already registered"));
            }
        }
        if (value.defined() && !value.is_leaf())
        {
            throw std::invalid_argument(detail::str("Module: parameter '", name,
                                                    "' must be a leaf tensor, got the output of '",
                                                    value.grad_fn()->name(), "'; detach() it first"));
        }
        if (value.defined())
        {
            value.requires_grad_(true);
        }
        m_parameters.emplace_back(name, std::move(value));
        return m_parameters.back().second;
    }

    void Module::add_child(const std::string& name, std::shared_ptr<Module> module)
    {
        check_name(name, "module");
        if (!module)
        {
            throw std::invalid_argument(detail::str("Module: child '", name, "' is null"));
        }
        m_children.emplace_back(name, std::move(module));
    }

    std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const
    {
        std::vector<std::pair<std::string, Tensor>> out;
        for (const auto& p : m_parameters)
        {
            if (p.second.defined())
            {
                out.push_back(p);
            }
        }
        for (const auto& [child_name, child] : m_children)
        {
            for (auto& [name, t] : child->named_parameters())
            {
                out.emplace_back(child_name + "." + name, t);
            }
        }
        return out;
    }

    tensor_list Module::parameters() const
    {
        tensor_list out;
        for (auto& p : named_parameters())
        {
            out.push_back(p.second);
        }
        return out;
    }

    void Module::zero_grad()
    {
        for (auto& p : parameters())
        {
            p.zero_grad();
        }
    }

    void Module::train(bool on)
    {
        m_training = on;
        for (auto& c : m_children)
        {
            c.second->train(on);
        }
    }

    void Module::to(adjoint::dtype dt)
    {
        for (auto& p : parameters())
        {
            p.mutable_data() = p.data().to(dt);
            p.zero_grad();
        }
    }

    Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
    {
        for (const auto& m : modules)
        {
            push_back(m);
        }
    }

    Tensor Sequential::forward(const Tensor& x)
    {
        Tensor y = x;
        for (const auto& c : children())
        {
            y = c.second->forward(y);
        }
        return y;
    }
}
