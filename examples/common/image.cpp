// Grayscale rendering and PNG output for the examples. This is the one translation unit
// that compiles stb_image_write's implementation.
#include "image.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace adjoint::examples
{
    gray_image::gray_image(int w, int h, std::uint8_t fill)
        : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill)
    {
        if (w <= 0 || h <= 0)
        {
            throw std::invalid_argument(detail::str("gray_image: a positive size, got ", w, " x ", h));
        }
    }

    gray_image render(const Tensor& values, double lo, double hi, int scale)
    {
        shape_t shape = values.shape();
        while (shape.size() > 2 && shape.front() == 1)
        {
            shape.erase(shape.begin());
        }
        if (shape.size() != 2 || !(hi > lo) || scale < 1)
        {
            throw std::invalid_argument(detail::str("render: a 2-d tensor, lo < hi and scale >= 1, got shape ",
                                                    shape_str(values.shape()), ", lo=", lo, ", hi=", hi,
                                                    ", scale=", scale));
        }
        const int rows = static_cast<int>(shape[0]), cols = static_cast<int>(shape[1]);
        const auto v = values.to_vector();
        gray_image image(cols * scale, rows * scale);
        for (int y = 0; y < image.height; ++y)
        {
            for (int x = 0; x < image.width; ++x)
            {
                const double t = (v[static_cast<std::size_t>((y / scale) * cols + x / scale)] - lo) / (hi - lo);
                image.at(x, y) = static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
            }
        }
        return image;
    }

    void paste(gray_image& canvas, const gray_image& tile, int x, int y, int frame)
    {
        if (x - frame < 0 || y - frame < 0 || x + tile.width + frame > canvas.width ||
            y + tile.height + frame > canvas.height)
        {
            throw std::invalid_argument(detail::str("paste: a framed tile inside the ", canvas.width, " x ",
                                                    canvas.height, " canvas, got a ", tile.width, " x ",
                                                    tile.height, " tile at (", x, ", ", y, ") with frame ", frame));
        }
        for (int j = -frame; j < tile.height + frame; ++j)
        {
            for (int i = -frame; i < tile.width + frame; ++i)
            {
                const bool inside = i >= 0 && j >= 0 && i < tile.width && j < tile.height;
                canvas.at(x + i, y + j) = inside ? tile.pixels[static_cast<std::size_t>(j) * tile.width + i] : 0;
            }
        }
    }

    void write_png(const gray_image& image, const std::string& path)
    {
        if (!stbi_write_png(path.c_str(), image.width, image.height, 1, image.pixels.data(), image.width))
        {
            throw std::runtime_error(detail::str("write_png: could not write '", path, "'"));
        }
    }
}
