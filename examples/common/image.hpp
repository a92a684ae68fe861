// Grayscale pictures for the example programs: render a 2-d tensor as blocks of gray,
// lay tiles out on a canvas, save as PNG (through stb_image_write). No colour, no text,
// no reading: just enough to make a result visible.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::examples
{
    struct gray_image
    {
        gray_image(int width, int height, std::uint8_t fill = 255);
        std::uint8_t& at(int x, int y) { return pixels[static_cast<std::size_t>(y) * width + x]; }

        int width, height;
        std::vector<std::uint8_t> pixels;   // row-major, one byte per pixel
    };

    // A [H, W] tensor (or any tensor whose size-1 leading axes squeeze to that) as an image
    // scale times larger, each value a scale x scale block (nearest neighbour, so every
    // value stays visible). Values map linearly from [lo, hi] to black..white, clamped.
    gray_image render(const Tensor& values, double lo, double hi, int scale);

    // Copies tile onto canvas with its top-left corner at (x, y), framed by a border of
    // `frame` black pixels drawn just outside it. Must fit inside the canvas.
    void paste(gray_image& canvas, const gray_image& tile, int x, int y, int frame = 0);

    // Writes an 8-bit grayscale PNG; throws std::runtime_error naming the path on failure.
    void write_png(const gray_image& image, const std::string& path);
}
