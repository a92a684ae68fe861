// libFuzzer target: load_npy_array on arbitrary bytes. It must load or throw a clear error,
// and what it loads must be exactly as large as the file says.
#include "fuzz_input.hpp"

#include <adjoint/core/npy.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const adjoint_fuzz::memory_file file(data, size);
    adjoint_fuzz::expect_clean("fuzz_npy", [&] {
        const adjoint::array a = adjoint::load_npy_array(file.path());
        if (a.nbytes() > size)
        {
            std::fprintf(stderr, "fuzz_npy: %zu bytes loaded from a %zu-byte file\n", a.nbytes(), size);
            std::abort();
        }
        // Touch every value, so a short buffer shows as a sanitizer report.
        volatile unsigned char sink = 0;
        const auto* bytes = static_cast<const unsigned char*>(a.data_ptr());
        for (std::size_t i = 0; i < a.nbytes(); ++i)
        {
            sink ^= bytes[i];
        }
    });
    return 0;
}
