// libFuzzer target: load_safetensors on arbitrary bytes. It must load or throw a clear
// error; the arrays it returns must fit in the file and be readable to the last byte.
#include "fuzz_input.hpp"

#include <adjoint/core/safetensors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const adjoint_fuzz::memory_file file(data, size);
    adjoint_fuzz::expect_clean("fuzz_safetensors", [&] {
        const adjoint::named_arrays loaded = adjoint::load_safetensors(file.path());
        std::size_t total = 0;
        volatile unsigned char sink = 0;
        for (const auto& [name, a] : loaded.entries)
        {
            total += a.nbytes();
            const auto* bytes = static_cast<const unsigned char*>(a.data_ptr());
            for (std::size_t i = 0; i < a.nbytes(); ++i)
            {
                sink ^= bytes[i];
            }
        }
        if (total > size)
        {
            std::fprintf(stderr, "fuzz_safetensors: %zu bytes of arrays from a %zu-byte file\n", total, size);
            std::abort();
        }
    });
    return 0;
}
