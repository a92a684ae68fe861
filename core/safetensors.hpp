// safetensors files: named arrays plus string metadata in one file, the checkpoint format
// (https://github.com/huggingface/safetensors). Layout: an 8-byte little-endian header
// length N, N bytes of JSON ({"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}), then the raw little-endian values, tensor after tensor.
// Saving is atomic (temporary file, fsync, rename). Loading checks the whole header against
// the file before allocating anything and reports a corrupt file (std::runtime_error naming
// it) instead of trusting it. Only F32, F64 and I64 are read; no memory mapping, no lazy or
// partial loading (the whole file is read), and nothing about modules or parameters: mapping
// a model's state onto names is the caller's business.
#pragma once
#include <adjoint/core/array.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace adjoint
{
    // An ordered list of uniquely named arrays and the file's metadata. A vector, not a map:
    // the order is the file's order (which keeps checkpoints diffable and reproducible), and
    // a checkpoint has few enough entries that lookups by name can be linear.
    struct named_arrays
    {
        std::vector<std::pair<std::string, array>> entries;
        std::map<std::string, std::string> metadata;

        bool contains(const std::string& name) const;
        // The array called `name`; std::out_of_range if there is none.
        const array& at(const std::string& name) const;
        array& at(const std::string& name);
        // Appends; std::invalid_argument if `name` is taken or `a` is undefined.
        void add(const std::string& name, array a);
    };

    // The metadata every file adjoint writes carries; a loaded file keeps whatever it had.
    inline constexpr const char* safetensors_format_key = "format";
    inline constexpr const char* safetensors_format = "adjoint-safetensors";
    inline constexpr const char* safetensors_version_key = "version";
    inline constexpr const char* safetensors_version = "1";

    // Writes `arrays` to `path` in entry order, with `arrays.metadata` plus the format and
    // version keys above (a different value under either key is an error, not overwritten).
    // std::invalid_argument for unsavable input (duplicate, reserved or non-UTF-8 names,
    // undefined arrays); std::runtime_error if the file cannot be written, in which case the
    // previous file at `path` is untouched.
    void save_safetensors(const std::string& path, const named_arrays& arrays);

    // Reads every array of `path`, in the order of the header, and the metadata.
    named_arrays load_safetensors(const std::string& path);
}
