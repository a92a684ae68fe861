// Module bookkeeping: the name table, recursive traversal with dotted names, modes, dtype
// conversion, state_dict / load_state_dict, deep copies, and Sequential. Printing, summaries
// and the layer scope (errors that name the layer) are in module_print.cpp and layer_scope.cpp.
#include <adjoint/autograd/anomaly.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/layers/module.hpp>

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <typeinfo>
#include <utility>

namespace adjoint
{
    namespace
    {
        const char* kind_name(int kind)
        {
            switch (kind)
            {
                case 0: return "parameter";
                case 1: return "buffer";
                default: return "module";
            }
        }

        std::string joined(const std::string& prefix, const std::string& name)
        {
            return prefix.empty() ? name : prefix + "." + name;
        }
    }

    Module::~Module()
    {
        // Children that outlive this module (held elsewhere) must not point back at it.
        for (auto& e : m_entries)
        {
            if (e.module && e.module->m_parent == this)
            {
                e.module->m_parent = nullptr;
            }
        }
    }

    std::string Module::type_name() const
    {
        const char* mangled = typeid(*this).name();
        int status = 0;
        char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
        std::string name = status == 0 && demangled ? demangled : mangled;
        std::free(demangled);
        // "adjoint::Conv2d" -> "Conv2d", "(anonymous namespace)::Net" -> "Net"; template
        // arguments keep their own qualifiers.
        const auto bracket = name.find('<');
        const auto cut = name.rfind("::", bracket == std::string::npos ? std::string::npos : bracket);
        return cut == std::string::npos ? name : name.substr(cut + 2);
    }

    std::shared_ptr<Module> Module::clone() const
    {
        throw std::logic_error(detail::str(
            "clone: ", type_name(), " does not implement clone(); add `std::shared_ptr<Module> clone() const override "
            "{ return clone_into(*this, std::make_shared<", type_name(), ">(/* its constructor arguments */)); }`"));
    }

    void Module::check_new_name(const std::string& name, const char* what) const
    {
        if (name.empty() || name.find('.') != std::string::npos)
        {
            throw std::invalid_argument(detail::str(type_name(), ": ", what,
                                                    " names must be non-empty and contain no '.', got '", name, "'"));
        }
        for (const auto& e : m_entries)
        {
            if (e.name == name)
            {
                throw std::invalid_argument(detail::str(type_name(), ": cannot register ", what, " '", name,
                                                        "': the name is already taken by a ",
                                                        kind_name(static_cast<int>(e.kind))));
            }
        }
    }

    Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad)
    {
        check_new_name(name, "parameter");
        if (value.defined())
        {
            if (!value.is_leaf())
            {
                throw std::invalid_argument(detail::str(type_name(), ": parameter '", name,
                                                        "' must be a leaf tensor, got the output of '",
                                                        value.grad_fn()->name(), "'; detach() it first"));
            }
            value.requires_grad_(requires_grad);
        }
        m_entries.push_back({name, entry_kind::parameter, value, true, nullptr});
        return value;
    }

    Tensor Module::register_buffer(const std::string& name, Tensor value, bool persistent)
    {
        check_new_name(name, "buffer");
        if (value.defined() && value.requires_grad())
        {
            throw std::invalid_argument(detail::str(type_name(), ": buffer '", name,
                                                    "' must not require grad; register it as a parameter instead"));
        }
        m_entries.push_back({name, entry_kind::buffer, value, persistent, nullptr});
        return value;
    }

    void Module::add_child(const std::string& name, std::shared_ptr<Module> module)
    {
        check_new_name(name, "module");
        if (!module)
        {
            throw std::invalid_argument(detail::str(type_name(), ": child module '", name, "' is null"));
        }
        adopt(name, *module);
        m_entries.push_back({name, entry_kind::module, Tensor(), true, std::move(module)});
    }

    void Module::adopt(const std::string& name, Module& child)
    {
        if (&child == this)
        {
            throw std::invalid_argument(detail::str(type_name(), ": a module cannot be its own child ('", name, "')"));
        }
        if (child.m_parent == nullptr)
        {
            child.m_parent = this;
            child.m_name = name;
        }
    }

    std::shared_ptr<Module> Module::swap_child(const std::string& name, std::shared_ptr<Module> module)
    {
        const auto is_child = [&](const entry& e) { return e.kind == entry_kind::module && e.name == name; };
        const auto it = std::find_if(m_entries.begin(), m_entries.end(), is_child);
        if (it == m_entries.end())
        {
            throw std::invalid_argument(detail::str(type_name(), ": no child module '", name, "' to replace"));
        }
        if (!module)
        {
            throw std::invalid_argument(detail::str(type_name(), ": child module '", name, "' cannot be replaced by null"));
        }
        adopt(name, *module);
        std::shared_ptr<Module> old = std::exchange(it->module, std::move(module));
        if (old->m_parent == this)
        {
            // Still registered here under another name (a module listed twice)? Then that
            // name is its path now; else it has left this module.
            const auto again = std::find_if(m_entries.begin(), m_entries.end(),
                                            [&](const entry& e) { return e.module == old; });
            old->m_parent = again != m_entries.end() ? this : nullptr;
            old->m_name = again != m_entries.end() ? again->name : std::string();
        }
        return old;
    }

    std::string Module::path() const
    {
        std::vector<const std::string*> names;
        for (const Module* m = this; m->m_parent != nullptr; m = m->m_parent)
        {
            names.push_back(&m->m_name);
        }
        std::string out;
        for (auto it = names.rbegin(); it != names.rend(); ++it)
        {
            out = joined(out, **it);
        }
        return out;
    }

    void Module::collect(entry_kind kind, bool recurse, bool persistent_only, const std::string& prefix,
                         named_tensors& out, std::vector<const void*>* seen) const
    {
        for (const auto& e : m_entries)
        {
            if (e.kind == kind && e.tensor.defined() && (!persistent_only || e.persistent))
            {
                const void* id = e.tensor.impl().get();
                if (seen && std::find(seen->begin(), seen->end(), id) != seen->end())
                {
                    continue;
                }
                if (seen)
                {
                    seen->push_back(id);
                }
                out.emplace_back(joined(prefix, e.name), e.tensor);
            }
        }
        if (!recurse)
        {
            return;
        }
        for (const auto& e : m_entries)
        {
            if (e.kind == entry_kind::module)
            {
                e.module->collect(kind, true, persistent_only, joined(prefix, e.name), out, seen);
            }
        }
    }

    named_tensors Module::named_parameters(bool recurse) const
    {
        named_tensors out;
        std::vector<const void*> seen;
        collect(entry_kind::parameter, recurse, false, "", out, &seen);
        return out;
    }

    tensor_list Module::parameters(bool recurse) const
    {
        tensor_list out;
        for (auto& p : named_parameters(recurse))
        {
            out.push_back(p.second);
        }
        return out;
    }

    named_tensors Module::named_buffers(bool recurse) const
    {
        named_tensors out;
        std::vector<const void*> seen;
        collect(entry_kind::buffer, recurse, false, "", out, &seen);
        return out;
    }

    tensor_list Module::buffers(bool recurse) const
    {
        tensor_list out;
        for (auto& b : named_buffers(recurse))
        {
            out.push_back(b.second);
        }
        return out;
    }

    std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const
    {
        std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
        for (const auto& e : m_entries)
        {
            if (e.kind == entry_kind::module)
            {
                out.emplace_back(e.name, e.module);
            }
        }
        return out;
    }

    std::vector<std::shared_ptr<Module>> Module::children() const
    {
        std::vector<std::shared_ptr<Module>> out;
        for (auto& c : named_children())
        {
            out.push_back(c.second);
        }
        return out;
    }

    std::vector<std::pair<std::string, const Module*>> Module::named_modules(const std::string& prefix) const
    {
        // Breadth of a model is small; a linear scan for duplicates keeps the order stable.
        std::vector<std::pair<std::string, const Module*>> out;
        std::vector<std::pair<std::string, const Module*>> stack{{prefix, this}};
        while (!stack.empty())
        {
            auto [name, m] = stack.back();
            stack.pop_back();
            if (std::any_of(out.begin(), out.end(), [m = m](const auto& p) { return p.second == m; }))
            {
                continue;
            }
            out.emplace_back(name, m);
            const auto kids = m->named_children();
            for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            {
                stack.emplace_back(joined(name, it->first), it->second.get());
            }
        }
        return out;
    }

    std::vector<std::pair<std::string, Module*>> Module::named_modules(const std::string& prefix)
    {
        std::vector<std::pair<std::string, Module*>> out;
        for (auto& [name, m] : static_cast<const Module&>(*this).named_modules(prefix))
        {
            out.emplace_back(name, const_cast<Module*>(m));
        }
        return out;
    }

    void Module::apply(const std::function<void(Module&)>& fn)
    {
        auto all = named_modules();
        // Children before their parents, as torch.nn.Module.apply.
        for (auto it = all.rbegin(); it != all.rend(); ++it)
        {
            fn(*it->second);
        }
    }

    void Module::train(bool on)
    {
        m_training = on;
        for (auto& e : m_entries)
        {
            if (e.kind == entry_kind::module)
            {
                e.module->train(on);
            }
        }
    }

    void Module::zero_grad()
    {
        for (auto& p : parameters())
        {
            p.zero_grad();
        }
    }

    void Module::to(adjoint::dtype dt)
    {
        if (!is_floating(dt))
        {
            throw std::invalid_argument(detail::str("Module::to: expected float32 or float64, got ", dtype_name(dt),
                                                    " (only floating parameters and buffers are converted)"));
        }
        auto convert = [dt](Tensor t) {
            if (is_floating(t.dtype()) && t.dtype() != dt)
            {
                t.mutable_data() = t.data().to(dt);
                t.zero_grad();
            }
        };
        for (auto& p : parameters())
        {
            convert(p);
        }
        for (auto& b : buffers())
        {
            convert(b);
        }
    }

    named_tensors Module::state_dict() const
    {
        // As PyTorch's: parameters then persistent buffers of each module, depth first; a
        // tensor reachable under two names appears under both.
        named_tensors out;
        std::vector<std::pair<std::string, const Module*>> stack{{"", this}};
        while (!stack.empty())
        {
            auto [prefix, m] = stack.back();
            stack.pop_back();
            m->collect(entry_kind::parameter, false, false, prefix, out, nullptr);
            m->collect(entry_kind::buffer, false, true, prefix, out, nullptr);
            const auto kids = m->named_children();
            for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            {
                stack.emplace_back(joined(prefix, it->first), it->second.get());
            }
        }
        return out;
    }

    void Module::load_state_dict(const named_tensors& state, bool strict)
    {
        const named_tensors own = state_dict();
        std::map<std::string, const Tensor*> given;
        std::vector<std::string> problems;
        for (const auto& [name, t] : state)
        {
            if (!given.emplace(name, &t).second)
            {
                problems.push_back(detail::str("duplicate key '", name, "'"));
            }
        }
        std::set<std::string> used;
        std::vector<std::pair<Tensor, const Tensor*>> copies;
        std::vector<std::string> missing;
        for (const auto& [name, t] : own)
        {
            auto it = given.find(name);
            if (it == given.end())
            {
                missing.push_back(name);
                continue;
            }
            used.insert(name);
            const Tensor& src = *it->second;
            if (!src.defined())
            {
                problems.push_back(detail::str("'", name, "' is undefined"));
            }
            else if (src.shape() != t.shape())
            {
                problems.push_back(detail::str("'", name, "' has shape ", shape_str(src.shape()),
                                               ", the model's is ", shape_str(t.shape())));
            }
            else if (src.dtype() != t.dtype())
            {
                problems.push_back(detail::str("'", name, "' has dtype ", dtype_name(src.dtype()), ", the model's is ",
                                               dtype_name(t.dtype())));
            }
            else
            {
                copies.emplace_back(t, &src);
            }
        }
        std::vector<std::string> unexpected;
        for (const auto& [name, t] : state)
        {
            if (!used.count(name))
            {
                unexpected.push_back(name);
            }
        }
        auto list = [](const std::vector<std::string>& names) {
            std::string s;
            for (const auto& n : names)
            {
                s += (s.empty() ? "'" : ", '") + n + "'";
            }
            return s;
        };
        if (strict && !missing.empty())
        {
            problems.push_back("missing keys " + list(missing));
        }
        if (strict && !unexpected.empty())
        {
            problems.push_back("unexpected keys " + list(unexpected));
        }
        if (!problems.empty())
        {
            std::string msg = detail::str("load_state_dict: cannot load into ", type_name(), ": ");
            for (std::size_t i = 0; i < problems.size(); ++i)
            {
                msg += (i ? "; " : "") + problems[i];
            }
            throw std::invalid_argument(msg + "; nothing was changed");
        }
        no_grad_guard off;
        for (auto& [dst, src] : copies)
        {
            dst.copy_(*src);
        }
    }

    void Module::copy_state_from(const Module& from)
    {
        const auto all_of = [](const Module& m) {
            named_tensors out;
            m.collect(entry_kind::parameter, true, false, "", out, nullptr);
            m.collect(entry_kind::buffer, true, false, "", out, nullptr);
            return out;
        };
        const named_tensors src = all_of(from);
        const named_tensors dst = all_of(*this);
        if (src.size() != dst.size())
        {
            throw std::logic_error(detail::str("clone: the fresh ", type_name(), " has ", dst.size(),
                                               " parameters and buffers, the original ", src.size(),
                                               "; construct it with the original's configuration"));
        }
        no_grad_guard off;
        for (std::size_t i = 0; i < src.size(); ++i)
        {
            const auto& [name, s] = src[i];
            Tensor d = dst[i].second;
            if (dst[i].first != name || d.shape() != s.shape())
            {
                throw std::logic_error(detail::str("clone: '", name, "' ", shape_str(s.shape()), " has no match in the fresh ",
                                                   type_name(), " ('", dst[i].first, "' ", shape_str(d.shape()), ")"));
            }
            d.mutable_data() = s.data().clone();
            d.requires_grad_(s.requires_grad());
        }
        // Modes follow, module by module.
        const auto from_modules = from.named_modules();
        const auto to_modules = named_modules();
        for (std::size_t i = 0; i < std::min(from_modules.size(), to_modules.size()); ++i)
        {
            to_modules[i].second->m_training = from_modules[i].second->m_training;
        }
    }

    // ---- Sequential ----

    void Sequential::push_erased(step s)
    {
        register_module(std::to_string(m_calls.size()), s.module);
        m_calls.push_back(std::move(s));
    }

    void Sequential::check_index(std::size_t index) const
    {
        if (index >= m_calls.size())
        {
            throw std::out_of_range(
                detail::str("Sequential: index ", index, " is out of range for ", m_calls.size(), " modules"));
        }
    }

    std::shared_ptr<Module> Sequential::replace_erased(std::size_t index, step s)
    {
        check_index(index);
        std::shared_ptr<Module> old = swap_child(std::to_string(index), s.module);
        m_calls[index] = std::move(s);
        return old;
    }

    Tensor Sequential::forward(const Tensor& x)
    {
        // A layer with a fused relu form followed by a ReLU runs as that one op: the same
        // values and gradients, one pass over the activation and one activation fewer. Not
        // while anomaly mode names ops one by one or summary() lists layers one by one.
        const bool fuse = !is_anomaly_enabled() && !detail::summary_active();
        Tensor y = x;
        for (std::size_t i = 0; i < m_calls.size(); ++i)
        {
            const step& s = m_calls[i];
            if (fuse && s.call_relu != nullptr && i + 1 < m_calls.size() && m_calls[i + 1].is_relu)
            {
                y = s.call_relu(*s.module, y);
                ++i;
                continue;
            }
            y = s.call(*s.module, y);
        }
        return y;
    }

    std::shared_ptr<Module> Sequential::operator[](std::size_t index) const
    {
        check_index(index);
        return m_calls[index].module;
    }

    std::shared_ptr<Module> Sequential::clone() const
    {
        auto copy = std::make_shared<Sequential>();
        // A module listed twice (Sequential{c, c}) stays one shared module in the copy.
        std::vector<std::pair<const Module*, std::shared_ptr<Module>>> done;
        for (const step& s : m_calls)
        {
            auto it = std::find_if(done.begin(), done.end(), [m = s.module.get()](const auto& d) { return d.first == m; });
            auto twin = it != done.end() ? it->second : s.module->clone();
            done.emplace_back(s.module.get(), twin);
            copy->push_erased({twin, s.call, s.call_relu, s.is_relu});
        }
        copy->train(is_training());
        return copy;
    }
}
