// Checkpoints: a module's state_dict (or any named tensors, such as an optimizer's state) in
// a safetensors file with PyTorch's key names, so weights move between this library and
// torch.nn models both ways (docs/modules.md shows the Python side). Writes are atomic; a
// corrupt or mismatched file is an exception naming the file and leaves the model unchanged.
// It does not pickle, version or migrate architectures: the keys and shapes must match.
#pragma once
#include <adjoint/layers/module.hpp>

#include <map>
#include <string>

namespace adjoint
{
    using metadata_map = std::map<std::string, std::string>;

    // Named tensors and the file's string metadata, as read back.
    struct checkpoint
    {
        named_tensors tensors;
        metadata_map metadata;
        // The tensor called `name`; std::out_of_range naming it if absent.
        const Tensor& at(const std::string& name) const;
    };

    void save(const Module& module, const std::string& path, const metadata_map& metadata = {});
    void save(const named_tensors& tensors, const std::string& path, const metadata_map& metadata = {});

    checkpoint load_checkpoint(const std::string& path);
    // load_state_dict(file's tensors, strict); errors name the file as well as the keys.
    void load(Module& module, const std::string& path, bool strict = true);

    // Keys of `tensors` with "prefix." put in front / the entries under "prefix." with it
    // removed: how a model's and an optimizer's state share one file.
    named_tensors with_prefix(const named_tensors& tensors, const std::string& prefix);
    named_tensors under_prefix(const named_tensors& tensors, const std::string& prefix);
}
