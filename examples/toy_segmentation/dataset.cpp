// Generation, reading and writing of the toy segmentation data (see dataset.hpp). Geometry
// is tested at pixel centres in doubled integer coordinates (2x + 1), so no floating point
// decides which pixel a shape covers.
#include "dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace adjoint::examples
{
    std::uint64_t portable_rng::next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    std::int64_t portable_rng::between(std::int64_t lo, std::int64_t hi)
    {
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }

    std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream)
    {
        portable_rng a(stream * 0xD1B54A32D192ED03ULL + 1);
        portable_rng b(seed ^ a.next());
        return b.next();
    }

    const char* class_name(std::int64_t index)
    {
        static const char* names[] = {"background", "circle", "rectangle", "triangle"};
        return index >= 0 && index < 4 ? names[index] : "class";
    }

    namespace
    {
        rgb random_colour(portable_rng& rng)
        {
            return {static_cast<std::uint8_t>(rng.between(0, 255)), static_cast<std::uint8_t>(rng.between(0, 255)),
                    static_cast<std::uint8_t>(rng.between(0, 255))};
        }

        int distance(rgb a, rgb b)
        {
            return std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b);
        }

        std::int64_t edge(std::int64_t ax, std::int64_t ay, std::int64_t bx, std::int64_t by, std::int64_t px,
                          std::int64_t py)
        {
            return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
        }
    }

    sample synthetic_sample(std::uint64_t seed, std::uint64_t index, int size)
    {
        if (size < 8)
        {
            throw std::invalid_argument(detail::str("synthetic_sample: an image size >= 8, got ", size));
        }
        portable_rng rng(mix_seed(seed, index));
        sample s{"", rgb_image(size, size), gray_image(size, size, 0)};

        // Background: a linear gradient from c0 to c1 along a random direction.
        const rgb c0 = random_colour(rng), c1 = random_colour(rng);
        std::int64_t ax = 0, ay = 0;
        while (ax == 0 && ay == 0)
        {
            ax = rng.between(-8, 8), ay = rng.between(-8, 8);
        }
        const std::int64_t last = size - 1;
        const std::int64_t p_lo = std::min<std::int64_t>(0, ax * last) + std::min<std::int64_t>(0, ay * last);
        const std::int64_t p_hi = std::max<std::int64_t>(0, ax * last) + std::max<std::int64_t>(0, ay * last);
        for (int y = 0; y < size; ++y)
        {
            for (int x = 0; x < size; ++x)
            {
                const std::int64_t t = ax * x + ay * y - p_lo, span = p_hi - p_lo;
                auto lerp = [&](int a, int b) { return static_cast<std::uint8_t>(a + (b - a) * t / span); };
                s.image.at(x, y) = {lerp(c0.r, c1.r), lerp(c0.g, c1.g), lerp(c0.b, c1.b)};
            }
        }

        // Shapes, each in a colour far (L1 >= 150) from both background ends when possible.
        const int count = static_cast<int>(rng.between(1, 4));
        for (int k = 0; k < count; ++k)
        {
            const int kind = static_cast<int>(rng.between(0, synthetic_kinds - 1));
            rgb colour = random_colour(rng);
            for (int tries = 0; tries < 20 && (distance(colour, c0) < 150 || distance(colour, c1) < 150); ++tries)
            {
                colour = random_colour(rng);
            }
            // Doubled coordinates: pixel (x, y) has centre (2x + 1, 2y + 1).
            std::int64_t cx = 2 * rng.between(size / 8, size - 1 - size / 8);
            std::int64_t cy = 2 * rng.between(size / 8, size - 1 - size / 8);
            std::int64_t r = 0, hw = 0, hh = 0;
            std::int64_t vx[3] = {}, vy[3] = {};
            if (kind == 0)
            {
                r = 2 * rng.between(std::max(2, size / 10), std::max(3, size / 5));
            }
            else if (kind == 1)
            {
                hw = 2 * rng.between(std::max(2, size / 10), std::max(3, size / 5));
                hh = 2 * rng.between(std::max(2, size / 10), std::max(3, size / 5));
            }
            else
            {
                // Three corners in a box around the centre, redrawn while the triangle is thin.
                const std::int64_t half = 2 * rng.between(std::max(3, size / 7), std::max(4, size / 4));
                for (int tries = 0; tries < 50; ++tries)
                {
                    for (int v = 0; v < 3; ++v)
                    {
                        vx[v] = cx + rng.between(-half, half);
                        vy[v] = cy + rng.between(-half, half);
                    }
                    if (std::abs(edge(vx[0], vy[0], vx[1], vy[1], vx[2], vy[2])) >= half * half)
                    {
                        break;
                    }
                }
            }
            for (int y = 0; y < size; ++y)
            {
                for (int x = 0; x < size; ++x)
                {
                    const std::int64_t px = 2 * x + 1, py = 2 * y + 1;
                    bool in = false;
                    if (kind == 0)
                    {
                        in = (px - cx) * (px - cx) + (py - cy) * (py - cy) <= r * r;
                    }
                    else if (kind == 1)
                    {
                        in = std::abs(px - cx) <= hw && std::abs(py - cy) <= hh;
                    }
                    else
                    {
                        const std::int64_t e0 = edge(vx[0], vy[0], vx[1], vy[1], px, py);
                        const std::int64_t e1 = edge(vx[1], vy[1], vx[2], vy[2], px, py);
                        const std::int64_t e2 = edge(vx[2], vy[2], vx[0], vy[0], px, py);
                        in = (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0);
                    }
                    if (in)
                    {
                        s.image.at(x, y) = colour;
                        s.mask.at(x, y) = static_cast<std::uint8_t>(kind + 1);
                    }
                }
            }
        }

        // Noise on every pixel and channel, so neither colour nor flat regions alone decide.
        for (rgb& p : s.image.pixels)
        {
            for (std::uint8_t* c : {&p.r, &p.g, &p.b})
            {
                *c = static_cast<std::uint8_t>(std::clamp<std::int64_t>(*c + rng.between(-20, 20), 0, 255));
            }
        }
        return s;
    }

    dataset synthetic_dataset(std::uint64_t seed, int train_count, int val_count, int size)
    {
        if (train_count < 1 || val_count < 1)
        {
            throw std::invalid_argument(detail::str("synthetic_dataset: at least one training and one validation image, got ",
                                                    train_count, " and ", val_count));
        }
        dataset d;
        d.height = d.width = size;
        for (int i = 0; i < train_count + val_count; ++i)
        {
            sample s = synthetic_sample(seed, static_cast<std::uint64_t>(i), size);
            const bool train = i < train_count;
            char name[32];
            std::snprintf(name, sizeof name, "%s_%04d", train ? "train" : "val", train ? i : i - train_count);
            s.name = name;
            (train ? d.train : d.validation).push_back(std::move(s));
        }
        return d;
    }

    dataset folder_dataset(const std::string& dir)
    {
        const fs::path images_dir = fs::path(dir) / "images", masks_dir = fs::path(dir) / "masks";
        if (!fs::is_directory(images_dir) || !fs::is_directory(masks_dir))
        {
            throw std::runtime_error(detail::str("--data ", dir, ": expected the folders ", images_dir.string(), " and ",
                                                 masks_dir.string()));
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(images_dir))
        {
            std::string ext = entry.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
            if (entry.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg"))
            {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end());
        if (files.size() < 2)
        {
            throw std::runtime_error(detail::str("--data ", dir, ": at least 2 PNG or JPEG images in ", images_dir.string(),
                                                 ", found ", files.size()));
        }
        dataset d;
        std::vector<sample> all;
        int max_index = 1;
        for (const fs::path& file : files)
        {
            const fs::path mask_file = masks_dir / (file.stem().string() + ".png");
            if (!fs::exists(mask_file))
            {
                throw std::runtime_error(detail::str("--data: no mask for ", file.string(), " (expected ", mask_file.string(), ")"));
            }
            sample s{file.stem().string(), read_rgb(file.string()), read_gray(mask_file.string())};
            if (s.mask.width != s.image.width || s.mask.height != s.image.height)
            {
                throw std::runtime_error(detail::str("--data: ", mask_file.string(), " is ", s.mask.width, " x ", s.mask.height,
                                                     " but its image ", file.string(), " is ", s.image.width, " x ",
                                                     s.image.height));
            }
            if (all.empty())
            {
                d.width = s.image.width, d.height = s.image.height;
                if (d.width % 4 != 0 || d.height % 4 != 0)
                {
                    throw std::runtime_error(detail::str("--data: ", file.string(), " is ", d.width, " x ", d.height,
                                                         "; TinySeg needs sides that are multiples of 4"));
                }
            }
            else if (s.image.width != d.width || s.image.height != d.height)
            {
                throw std::runtime_error(detail::str("--data: ", file.string(), " is ", s.image.width, " x ", s.image.height,
                                                     " but the first image is ", d.width, " x ", d.height,
                                                     "; all images must have one size"));
            }
            for (std::uint8_t v : s.mask.pixels)
            {
                max_index = std::max<int>(max_index, v);
            }
            all.push_back(std::move(s));
        }
        const bool named = std::any_of(all.begin(), all.end(), [](const sample& s) { return s.name.rfind("val_", 0) == 0; });
        for (std::size_t i = 0; i < all.size(); ++i)
        {
            const bool val = named ? all[i].name.rfind("val_", 0) == 0 : i % 8 == 7 || (all.size() < 8 && i + 1 == all.size());
            (val ? d.validation : d.train).push_back(std::move(all[i]));
        }
        if (d.train.empty())
        {
            throw std::runtime_error(detail::str("--data ", dir, ": every image is a validation image (val_*); name some otherwise"));
        }
        d.num_classes = max_index + 1;
        return d;
    }

    void write_dataset(const dataset& data, const std::string& dir)
    {
        const fs::path images_dir = fs::path(dir) / "images", masks_dir = fs::path(dir) / "masks";
        fs::create_directories(images_dir);
        fs::create_directories(masks_dir);
        for (const auto* split : {&data.train, &data.validation})
        {
            for (const sample& s : *split)
            {
                write_png(s.image, (images_dir / (s.name + ".png")).string());
                write_png(s.mask, (masks_dir / (s.name + ".png")).string());
            }
        }
    }

    Tensor image_tensor(const std::vector<const rgb_image*>& images)
    {
        const int h = images.front()->height, w = images.front()->width;
        const std::size_t plane = static_cast<std::size_t>(h) * w;
        std::vector<double> x(images.size() * 3 * plane);
        for (std::size_t b = 0; b < images.size(); ++b)
        {
            for (std::size_t p = 0; p < plane; ++p)
            {
                const rgb& c = images[b]->pixels[p];
                x[(b * 3 + 0) * plane + p] = (c.r - 127.5) / 127.5;
                x[(b * 3 + 1) * plane + p] = (c.g - 127.5) / 127.5;
                x[(b * 3 + 2) * plane + p] = (c.b - 127.5) / 127.5;
            }
        }
        return from_vector(x, {static_cast<std::int64_t>(images.size()), 3, h, w}, float32);
    }

    batch make_batch(const std::vector<sample>& samples, const std::vector<std::size_t>& indices, bool classes)
    {
        std::vector<const rgb_image*> images;
        std::vector<double> t;
        for (std::size_t i : indices)
        {
            images.push_back(&samples.at(i).image);
            for (std::uint8_t v : samples[i].mask.pixels)
            {
                t.push_back(classes ? v : (v > 0 ? 1.0 : 0.0));
            }
        }
        const std::int64_t n = static_cast<std::int64_t>(indices.size());
        const std::int64_t h = images.front()->height, w = images.front()->width;
        return {image_tensor(images), classes ? from_vector(t, {n, h, w}, int64) : from_vector(t, {n, 1, h, w}, float32)};
    }

    std::vector<std::size_t> epoch_order(std::size_t count, std::uint64_t seed, std::int64_t epoch)
    {
        std::vector<std::size_t> order(count);
        for (std::size_t i = 0; i < count; ++i)
        {
            order[i] = i;
        }
        portable_rng rng(mix_seed(seed ^ 0x5EED0F0DE4ULL, static_cast<std::uint64_t>(epoch)));
        for (std::size_t i = count; i > 1; --i)
        {
            std::swap(order[i - 1], order[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(i) - 1))]);
        }
        return order;
    }
}
