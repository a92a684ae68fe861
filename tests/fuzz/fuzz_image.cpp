// libFuzzer target: the examples' image and mask reader (examples/common/image.hpp,
// read_rgb / read_gray, through Debian's stb_image) on arbitrary bytes. It must read or
// throw a clear error, and what it returns must be exactly width * height pixels.
// stb itself is Debian's uninstrumented libstb, so this checks adjoint's side of the
// reader (the sizes it trusts, what it copies) more than stb's decoders.
#include "fuzz_input.hpp"

#include "common/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const adjoint_fuzz::memory_file file(data, size);
    adjoint_fuzz::expect_clean("fuzz_image", [&] {
        const adjoint::examples::rgb_image rgb = adjoint::examples::read_rgb(file.path());
        const adjoint::examples::gray_image gray = adjoint::examples::read_gray(file.path());
        if (rgb.pixels.size() != static_cast<std::size_t>(rgb.width) * rgb.height ||
            gray.pixels.size() != static_cast<std::size_t>(gray.width) * gray.height || rgb.width != gray.width ||
            rgb.height != gray.height)
        {
            std::fprintf(stderr, "fuzz_image: %dx%d rgb with %zu pixels, %dx%d gray with %zu\n", rgb.width,
                         rgb.height, rgb.pixels.size(), gray.width, gray.height, gray.pixels.size());
            std::abort();
        }
    });
    return 0;
}
