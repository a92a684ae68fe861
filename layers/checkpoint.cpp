// Checkpoints over core/safetensors: the mapping between named tensors and named arrays, and
// the error wording that names the file (see checkpoint.hpp).
#include <adjoint/core/safetensors.hpp>
#include <adjoint/layers/checkpoint.hpp>

#include <stdexcept>

namespace adjoint
{
    const Tensor& checkpoint::at(const std::string& name) const
    {
        for (const auto& [key, t] : tensors)
        {
            if (key == name)
            {
                return t;
            }
        }
        throw std::out_of_range(detail::str("checkpoint: no tensor named '", name, "'"));
    }

    void save(const named_tensors& tensors, const std::string& path, const metadata_map& metadata)
    {
        named_arrays arrays;
        arrays.metadata = metadata;
        for (const auto& [name, t] : tensors)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(detail::str("save: tensor '", name, "' is undefined; nothing was written to '",
                                                        path, "'"));
            }
            arrays.add(name, t.data());
        }
        save_safetensors(path, arrays);
    }

    void save(const Module& module, const std::string& path, const metadata_map& metadata)
    {
        save(module.state_dict(), path, metadata);
    }

    checkpoint load_checkpoint(const std::string& path)
    {
        named_arrays arrays = load_safetensors(path);
        checkpoint out;
        out.metadata = std::move(arrays.metadata);
        for (auto& [name, a] : arrays.entries)
        {
            out.tensors.emplace_back(name, Tensor(std::move(a)));
        }
        return out;
    }

    void load(Module& module, const std::string& path, bool strict)
    {
        const checkpoint c = load_checkpoint(path);
        try
        {
            module.load_state_dict(c.tensors, strict);
        }
        catch (const std::invalid_argument& e)
        {
            throw std::invalid_argument(detail::str("load: '", path, "' does not fit the model: ", e.what()));
        }
    }

    named_tensors with_prefix(const named_tensors& tensors, const std::string& prefix)
    {
        named_tensors out;
        for (const auto& [name, t] : tensors)
        {
            out.emplace_back(prefix + "." + name, t);
        }
        return out;
    }

    named_tensors under_prefix(const named_tensors& tensors, const std::string& prefix)
    {
        named_tensors out;
        const std::string head = prefix + ".";
        for (const auto& [name, t] : tensors)
        {
            if (name.compare(0, head.size(), head) == 0)
            {
                out.emplace_back(name.substr(head.size()), t);
            }
        }
        return out;
    }
}
