// Checkerboard artifacts of transposed convolution, as a picture. Each panel is
// conv_transpose2d of an all-ones 8x8 input with an all-ones kernel at stride 2, so every
// output pixel shows how many kernel stamps landed on it. Left: kernel 3 (not divisible by
// the stride) gives an uneven 1-2-4 grid; right: kernel 4 covers every interior pixel
// equally. Usage: checkerboard [output_dir]   (writes checkerboard.png; default: .)
#include <adjoint/adjoint.hpp>

#include "common/image.hpp"

#include <iostream>
#include <string>

using namespace adjoint;

namespace
{
    // Both configurations upsample 8x8 to exactly 16x16, the usual "2x up" layers:
    // (8-1)*2 - 2*1 + (3-1) + 1 + 1 = 16 and (8-1)*2 - 2*1 + (4-1) + 0 + 1 = 16.
    Tensor coverage(std::int64_t kernel, std::int64_t output_padding)
    {
        return conv_transpose2d(ones({1, 1, 8, 8}), ones({1, 1, kernel, kernel}), Tensor(),
                                conv_transpose2d_options().stride(2).padding(1).output_padding(output_padding));
    }

    void print_rows(const Tensor& t, std::int64_t rows)
    {
        const auto v = t.to_vector();
        const std::int64_t cols = t.size(-1);
        for (std::int64_t r = 0; r < rows; ++r)
        {
            std::cout << "   ";
            for (std::int64_t c = 0; c < cols; ++c)
            {
                std::cout << ' ' << v[static_cast<std::size_t>(r * cols + c)];
            }
            std::cout << '\n';
        }
    }
}

int main(int argc, char** argv)
{
    const std::string dir = argc > 1 ? argv[1] : ".";
    const Tensor uneven = coverage(3, 1);
    const Tensor even = coverage(4, 0);
    std::cout << "conv_transpose2d(ones 8x8, ones kxk, stride 2, padding 1): stamps per output pixel\n"
              << "  kernel 3 (first 4 rows of 16):\n";
    print_rows(uneven, 4);
    std::cout << "  kernel 4 (first 4 rows of 16):\n";
    print_rows(even, 4);

    // Both panels on one scale: 0 stamps would be black, 4 (the most either reaches) white.
    const int scale = 16, margin = 24, frame = 2;
    const auto left = examples::render(uneven, 0.0, 4.0, scale);
    const auto right = examples::render(even, 0.0, 4.0, scale);
    examples::gray_image canvas(3 * margin + left.width + right.width + 4 * frame, 2 * margin + left.height + 2 * frame);
    examples::paste(canvas, left, margin + frame, margin + frame, frame);
    examples::paste(canvas, right, 2 * margin + left.width + 3 * frame, margin + frame, frame);
    const std::string path = dir + "/checkerboard.png";
    examples::write_png(canvas, path);
    std::cout << "wrote " << path << " (left: kernel 3, right: kernel 4; brighter = more overlap)\n";
    return 0;
}
