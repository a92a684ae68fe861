// Optimizer base (see optimizer.hpp): parameter checks, zero_grad, and the state dict —
// written as copies, read back only after every key, shape, dtype and value has been checked.
#include <adjoint/layers/optim/optimizer.hpp>

#include <algorithm>
#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    bool param_state::has(const std::string& name) const
    {
        return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.first == name; });
    }

    Tensor& param_state::operator[](const std::string& name)
    {
        for (auto& e : entries)
        {
            if (e.first == name)
            {
                return e.second;
            }
        }
        throw std::logic_error(str("optimizer state: no entry '", name, "'"));
    }

    std::int64_t param_state::next_step()
    {
        std::int64_t* count = (*this)["step"].mutable_data().data<std::int64_t>();
        return ++*count;
    }

    void Optimizer::zero_grad()
    {
        for (tensor_list& group : m_params)
        {
            for (Tensor& p : group)
            {
                p.zero_grad();
            }
        }
    }

    void Optimizer::check_group(std::size_t group) const
    {
        if (group >= m_params.size())
        {
            throw std::out_of_range(str(m_name, ": expected a parameter group index below ", m_params.size(), ", got ",
                                        group));
        }
    }

    const tensor_list& Optimizer::params(std::size_t group) const
    {
        check_group(group);
        return m_params[group];
    }

    tensor_list Optimizer::parameters() const
    {
        tensor_list all;
        for (const tensor_list& group : m_params)
        {
            all.insert(all.end(), group.begin(), group.end());
        }
        return all;
    }

    double Optimizer::momentum(std::size_t) const
    {
        throw std::logic_error(str(m_name, ": this optimizer has no momentum"));
    }

    void Optimizer::set_momentum(std::size_t, double)
    {
        throw std::logic_error(str(m_name, ": this optimizer has no momentum"));
    }

    void Optimizer::add_params(const tensor_list& params)
    {
        const std::size_t group = m_params.size();
        for (std::size_t i = 0; i < params.size(); ++i)
        {
            const Tensor& p = params[i];
            const std::string which = str(m_name, ": parameter ", i, " of group ", group);
            if (!p.defined())
            {
                throw std::invalid_argument(which + " is undefined");
            }
            if (!is_floating(p.dtype()))
            {
                throw std::invalid_argument(str(which, " has dtype ", dtype_name(p.dtype()),
                                                ", expected a floating dtype (float32 or float64)"));
            }
            if (!p.is_leaf())
            {
                throw std::invalid_argument(which + " is not a leaf (an op computed it); optimize the leaf tensors the "
                                                    "computation starts from");
            }
            if (!p.requires_grad())
            {
                throw std::invalid_argument(which + " does not require grad; call requires_grad_() on it or leave it out");
            }
            for (std::size_t j = 0; j < i; ++j)
            {
                if (params[j].is_same(p))
                {
                    throw std::invalid_argument(str(m_name, ": a parameter appears twice in parameter group ", group,
                                                    " (index ", j, " and index ", i, ")"));
                }
            }
            for (std::size_t g = 0; g < m_params.size(); ++g)
            {
                for (std::size_t j = 0; j < m_params[g].size(); ++j)
                {
                    if (m_params[g][j].is_same(p))
                    {
                        throw std::invalid_argument(
                            str(m_name, ": a parameter appears in more than one parameter group (group ", g, " index ",
                                j, " and group ", group, " index ", i, ")"));
                    }
                }
            }
        }
        m_params.push_back(params);
        m_state.emplace_back(params.size());
    }

    param_state& Optimizer::state(std::size_t group, std::size_t index) { return m_state.at(group).at(index); }

    named_tensors Optimizer::state_dict() const
    {
        named_tensors out;
        std::size_t flat = 0;
        for (const auto& group : m_state)
        {
            for (const param_state& s : group)
            {
                for (const auto& [key, value] : s.entries)
                {
                    out.emplace_back(str("state.", flat, ".", key), Tensor(value.data().clone()));
                }
                ++flat;
            }
        }
        flat = 0;
        for (std::size_t g = 0; g < m_params.size(); ++g)
        {
            std::vector<double> indices;
            for (std::size_t i = 0; i < m_params[g].size(); ++i)
            {
                indices.push_back(static_cast<double>(flat++));
            }
            const std::string prefix = str("param_groups.", g, ".");
            out.emplace_back(prefix + "params",
                             from_vector(indices, {static_cast<std::int64_t>(indices.size())}, adjoint::int64));
            for (auto& [key, value] : group_options(g))
            {
                out.emplace_back(prefix + key, value);
            }
        }
        return out;
    }

    const Tensor* Optimizer::loading::take(const std::string& key)
    {
        auto it = dict.find(key);
        if (it == dict.end())
        {
            missing.push_back(key);
            return nullptr;
        }
        used.insert(key);
        return &it->second;
    }

    namespace
    {
        std::string describe(const Tensor& t) { return str(shape_str(t.shape()), " ", dtype_name(t.dtype())); }

        std::string join(const std::vector<std::string>& items)
        {
            std::string out;
            for (const std::string& s : items)
            {
                out += (out.empty() ? "" : ", ") + s;
            }
            return out;
        }
    }

    void Optimizer::load_state_dict(const named_tensors& dict)
    {
        loading in;
        for (const auto& [key, value] : dict)
        {
            if (!value.defined())
            {
                in.problems.push_back(key + ": the tensor is undefined");
            }
            else if (!in.dict.emplace(key, value).second)
            {
                in.problems.push_back(key + ": appears twice");
            }
        }
        // Group structure and options first: the options decide which state keys to expect.
        std::size_t flat = 0;
        std::vector<std::size_t> first_index;
        for (std::size_t g = 0; g < m_params.size(); ++g)
        {
            first_index.push_back(flat);
            const std::string key = str("param_groups.", g, ".params");
            if (const Tensor* t = in.take(key))
            {
                if (t->dtype() != adjoint::int64 || t->dim() != 1)
                {
                    in.problems.push_back(str(key, ": expected an int64 vector, got ", describe(*t)));
                }
                else if (static_cast<std::size_t>(t->numel()) != m_params[g].size())
                {
                    in.problems.push_back(str(key, ": lists ", t->numel(), " parameters, but group ", g,
                                              " of this optimizer has ", m_params[g].size()));
                }
            }
            stage_group_options(g, in);
            flat += m_params[g].size();
        }
        // State: a parameter has either no state or exactly the keys its group's options imply.
        std::vector<std::vector<param_state>> staged(m_params.size());
        for (std::size_t g = 0; g < m_params.size(); ++g)
        {
            const std::vector<std::string> keys = staged_state_keys(g);
            for (std::size_t i = 0; i < m_params[g].size(); ++i)
            {
                const Tensor& p = m_params[g][i];
                const std::string prefix = str("state.", first_index[g] + i, ".");
                param_state s;
                const bool any = std::any_of(keys.begin(), keys.end(),
                                             [&](const std::string& k) { return in.dict.count(prefix + k) > 0; });
                for (const std::string& k : keys)
                {
                    if (!any)
                    {
                        break;
                    }
                    const Tensor* t = in.take(prefix + k);
                    if (t == nullptr)
                    {
                        continue;
                    }
                    if (k == "step")
                    {
                        if (t->dtype() != adjoint::int64 || t->dim() != 0 || t->item() < 0)
                        {
                            in.problems.push_back(str(prefix, k, ": expected a 0-d int64 count >= 0, got ",
                                                      describe(*t)));
                        }
                    }
                    else if (t->shape() != p.shape() || t->dtype() != p.dtype())
                    {
                        in.problems.push_back(str(prefix, k, ": expected ", describe(p), " (the parameter's), got ",
                                                  describe(*t)));
                    }
                    s.add(k, Tensor(t->data().clone()));
                }
                staged[g].push_back(std::move(s));
            }
        }
        std::vector<std::string> unexpected;
        for (const auto& [key, value] : in.dict)
        {
            if (in.used.count(key) == 0)
            {
                unexpected.push_back(key);
            }
        }
        if (!in.missing.empty())
        {
            in.problems.insert(in.problems.begin(), "missing keys: " + join(in.missing));
        }
        if (!unexpected.empty())
        {
            in.problems.insert(in.problems.begin() + (in.missing.empty() ? 0 : 1), "unexpected keys: " + join(unexpected));
        }
        if (!in.problems.empty())
        {
            std::string message = m_name + ".load_state_dict: the state dict does not fit this optimizer: ";
            for (std::size_t i = 0; i < in.problems.size(); ++i)
            {
                message += (i ? "; " : "") + in.problems[i];
            }
            throw std::invalid_argument(message);
        }
        commit_staged();
        m_state = std::move(staged);
    }

    namespace detail
    {
        Tensor option_tensor(double value) { return scalar(value, float64); }
        Tensor option_tensor(bool value) { return scalar(value ? 1.0 : 0.0, float64); }
        Tensor option_tensor(const std::pair<double, double>& value)
        {
            return from_vector({value.first, value.second}, {2}, float64);
        }

        std::string read_option(const Tensor& t, double& value)
        {
            if (t.dtype() != float64 || t.dim() != 0)
            {
                return "expected a 0-d float64 tensor, got " + describe(t);
            }
            value = t.item();
            return {};
        }

        std::string read_option(const Tensor& t, bool& value)
        {
            if (t.dtype() != float64 || t.dim() != 0 || (t.item() != 0.0 && t.item() != 1.0))
            {
                return "expected a 0-d float64 tensor holding 0 or 1, got " +
                       (t.numel() == 1 ? str(describe(t), " holding ", t.item()) : describe(t));
            }
            value = t.item() == 1.0;
            return {};
        }

        std::string read_option(const Tensor& t, std::pair<double, double>& value)
        {
            if (t.dtype() != float64 || t.shape() != shape_t{2})
            {
                return "expected a float64 tensor of shape (2,), got " + describe(t);
            }
            value = {t.data().flat(0), t.data().flat(1)};
            return {};
        }
    }
}
