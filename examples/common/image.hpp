// Pictures for the example programs: render a 2-d tensor as blocks of gray, lay tiles out
// on a canvas, save gray or RGB images as PNG (stb_image_write) and read PNG / JPEG files
// (stb_image, Debian's libstb). Text and plots are in font.hpp and plot.hpp; no resizing,
// no colour conversion beyond what stb does when asked for 1 or 3 channels.
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

    struct rgb { std::uint8_t r, g, b; };

    struct rgb_image
    {
        rgb_image(int width, int height, rgb fill = {255, 255, 255});
        rgb& at(int x, int y) { return pixels[static_cast<std::size_t>(y) * width + x]; }
        const rgb& at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
        bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }

        int width, height;
        std::vector<rgb> pixels;   // row-major
    };

    // Copies tile onto canvas at (x, y) (clipped to the canvas).
    void paste(rgb_image& canvas, const rgb_image& tile, int x, int y);
    // Each pixel as a scale x scale block.
    rgb_image upscale(const rgb_image& image, int scale);
    void write_png(const rgb_image& image, const std::string& path);

    // Images of at most this many pixels are read; a larger header is a std::runtime_error
    // before anything is decoded.
    constexpr std::int64_t max_image_pixels = std::int64_t{1} << 24;

    // Reads a PNG or JPEG file as 8-bit RGB / 8-bit gray (stb converts other channel counts).
    // Throws std::runtime_error naming the file and stb's reason when it cannot be read.
    rgb_image read_rgb(const std::string& path);
    gray_image read_gray(const std::string& path);
}
