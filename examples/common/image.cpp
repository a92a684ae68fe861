// Rendering, PNG output and image reading for the examples. This is the one translation
// unit that compiles stb_image_write's implementation; stb_image's comes from libstb.
#include "image.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#include <stb_image.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
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

    rgb_image::rgb_image(int w, int h, rgb fill)
        : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill)
    {
        if (w <= 0 || h <= 0)
        {
            throw std::invalid_argument(detail::str("rgb_image: a positive size, got ", w, " x ", h));
        }
    }

    void paste(rgb_image& canvas, const rgb_image& tile, int x, int y)
    {
        for (int j = 0; j < tile.height; ++j)
        {
            for (int i = 0; i < tile.width; ++i)
            {
                if (canvas.inside(x + i, y + j))
                {
                    canvas.at(x + i, y + j) = tile.at(i, j);
                }
            }
        }
    }

    rgb_image upscale(const rgb_image& image, int scale)
    {
        rgb_image out(image.width * scale, image.height * scale);
        for (int y = 0; y < out.height; ++y)
        {
            for (int x = 0; x < out.width; ++x)
            {
                out.at(x, y) = image.at(x / scale, y / scale);
            }
        }
        return out;
    }

    void write_png(const rgb_image& image, const std::string& path)
    {
        static_assert(sizeof(rgb) == 3, "rgb must be three packed bytes");
        if (!stbi_write_png(path.c_str(), image.width, image.height, 3, image.pixels.data(), image.width * 3))
        {
            throw std::runtime_error(detail::str("write_png: could not write '", path, "'"));
        }
    }

    namespace
    {
        std::uint32_t big_endian32(const unsigned char* b)
        {
            return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
        }

        // A PNG's chunks must fit in the file. stb_image grows its buffer to the length an
        // IDAT chunk claims before reading it, so a 73-byte file claiming a 1.6 GB chunk
        // made it allocate that much (found by fuzz_image). Other formats, and PNG errors
        // this walk does not see, are left to stb_image.
        void check_png_chunks(const std::string& path)
        {
            std::ifstream in(path, std::ios::binary);
            unsigned char head[8] = {};
            static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            if (!in.read(reinterpret_cast<char*>(head), 8) || !std::equal(head, head + 8, signature))
            {
                return;
            }
            std::error_code ec;
            const std::uintmax_t size = std::filesystem::file_size(path, ec);
            if (ec)
            {
                return;   // stb_image reports the unreadable file
            }
            std::uintmax_t at = 8;
            while (at + 8 <= size)
            {
                unsigned char chunk[8];
                in.seekg(static_cast<std::streamoff>(at));
                if (!in.read(reinterpret_cast<char*>(chunk), 8))
                {
                    return;
                }
                const std::uint32_t length = big_endian32(chunk);
                const std::string type(reinterpret_cast<const char*>(chunk + 4), 4);
                const std::uintmax_t rest = size - at - 8;   // after the length and the type
                if (std::uintmax_t(length) + 4 > rest)
                {
                    throw std::runtime_error(detail::str("cannot read image '", path, "': PNG chunk '", type, "' at byte ",
                                                         at, " claims ", length, " bytes of data, but only ", rest,
                                                         " bytes follow its type (the data and a 4-byte CRC must fit): "
                                                         "a truncated or corrupt file"));
                }
                if (type == "IEND")
                {
                    return;
                }
                at += 8 + std::uintmax_t(length) + 4;
            }
        }

        // The header's size, checked before stb_image decodes anything: stb allocates the
        // whole image first, and some formats (TGA: no signature, uncompressed rows read
        // until the file ends) let a 102-byte file claim 61695 x 4916 pixels, 0.9 GB
        // allocated twice (found by fuzz_image in CI).
        void check_dimensions(const std::string& path)
        {
            int w = 0, h = 0, stored = 0;
            if (stbi_info(path.c_str(), &w, &h, &stored) == 0)
            {
                return;   // stb_image reports the unreadable file
            }
            if (static_cast<std::int64_t>(w) * h > max_image_pixels)
            {
                throw std::runtime_error(detail::str("cannot read image '", path, "': its header says ", w, " x ", h,
                                                     " = ", static_cast<std::int64_t>(w) * h,
                                                     " pixels, more than this reader takes (", max_image_pixels,
                                                     ", e.g. 4096 x 4096); resize the image first"));
            }
        }

        // stbi_load with the wanted channel count; the pixels are freed by the caller's copy.
        std::vector<std::uint8_t> load_pixels(const std::string& path, int channels, int& width, int& height)
        {
            check_png_chunks(path);
            check_dimensions(path);
            int stored = 0;
            unsigned char* data = stbi_load(path.c_str(), &width, &height, &stored, channels);
            if (data == nullptr)
            {
                throw std::runtime_error(
                    detail::str("cannot read image '", path, "': ", stbi_failure_reason()));
            }
            std::vector<std::uint8_t> out(data, data + static_cast<std::size_t>(width) * height * channels);
            stbi_image_free(data);
            return out;
        }
    }

    rgb_image read_rgb(const std::string& path)
    {
        int w = 0, h = 0;
        const auto bytes = load_pixels(path, 3, w, h);
        rgb_image image(w, h);
        for (std::size_t i = 0; i < image.pixels.size(); ++i)
        {
            image.pixels[i] = {bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]};
        }
        return image;
    }

    gray_image read_gray(const std::string& path)
    {
        int w = 0, h = 0;
        auto bytes = load_pixels(path, 1, w, h);
        gray_image image(w, h);
        image.pixels = std::move(bytes);
        return image;
    }
}
