// Training and pictures of the autoencoder example (see run.hpp). The data are
// toy_segmentation's synthetic shapes (its dataset.hpp, linked from toy_segmentation_lib):
// make_batch gives images in [-1, 1], the model's input; the target is the same image in
// [0, 1], the range of the decoder's sigmoid.
#include "run.hpp"

#include "model.hpp"

#include "common/font.hpp"
#include "common/image.hpp"
#include "common/plot.hpp"
#include "toy_segmentation/dataset.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace adjoint::examples
{
    double psnr(double mse)
    {
        return 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
    }

    namespace
    {
        struct epoch_row
        {
            std::int64_t epoch = 0;
            double train_mse = 0, val_mse = 0, seconds = 0;
        };

        std::vector<std::size_t> range(std::size_t begin, std::size_t end)
        {
            std::vector<std::size_t> idx;
            for (std::size_t i = begin; i < end; ++i)
            {
                idx.push_back(i);
            }
            return idx;
        }

        // The images of samples[idx] as the model's input ([-1, 1]).
        Tensor inputs(const std::vector<sample>& samples, const std::vector<std::size_t>& idx)
        {
            return make_batch(samples, idx, false).images;
        }

        Tensor to_unit(const Tensor& images)
        {
            return (images + 1.0) * 0.5;
        }

        // Image r of a [N, 3, H, W] tensor of values in [0, 1].
        rgb_image to_image(const std::vector<double>& values, std::int64_t r, int height, int width)
        {
            rgb_image image(width, height);
            const std::size_t plane = static_cast<std::size_t>(height) * width;
            const std::size_t base = static_cast<std::size_t>(r) * 3 * plane;
            auto byte = [](double v) { return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); };
            for (int y = 0; y < height; ++y)
            {
                for (int x = 0; x < width; ++x)
                {
                    const std::size_t p = static_cast<std::size_t>(y) * width + x;
                    image.at(x, y) = {byte(values[base + p]), byte(values[base + plane + p]), byte(values[base + 2 * plane + p])};
                }
            }
            return image;
        }

        double evaluate(ConvAutoencoder& model, const dataset& data, std::size_t batch_size)
        {
            no_grad_guard no_grad;
            double sum = 0;
            const std::size_t n = data.validation.size();
            for (std::size_t begin = 0; begin < n; begin += batch_size)
            {
                const Tensor x = inputs(data.validation, range(begin, std::min(n, begin + batch_size)));
                sum += mse_loss(model(x), to_unit(x)).item() * static_cast<double>(x.size(0));
            }
            return sum / static_cast<double>(n);
        }

        void write_metrics(const std::vector<epoch_row>& history, const fs::path& file)
        {
            std::ofstream out(file);
            out << "epoch,train_mse,train_psnr_db,val_mse,val_psnr_db,seconds\n" << std::setprecision(6);
            for (const epoch_row& r : history)
            {
                out << r.epoch << ',' << r.train_mse << ',' << psnr(r.train_mse) << ',' << r.val_mse << ','
                    << psnr(r.val_mse) << ',' << r.seconds << '\n';
            }
            if (!out)
            {
                throw std::runtime_error("cannot write " + file.string());
            }
        }

        std::string duration(double seconds)
        {
            const long s = std::lround(std::max(0.0, seconds));
            return s >= 60 ? detail::str(s / 60, "m", std::setw(2), std::setfill('0'), s % 60, "s") : detail::str(s, "s");
        }

        constexpr int scale = 2, gap = 6, margin = 10, label_height = 14;
        const rgb ink{40, 40, 40};

        // Centred label over a tile.
        void label(rgb_image& canvas, int x, int y, int tile, const std::string& text)
        {
            draw_text(canvas, x + (tile - text_width(text)) / 2, y, text, ink);
        }

        // Validation images beside their reconstructions: `pairs` input | reconstruction pairs
        // per row, rows of them, and a caption.
        rgb_image reconstructions(ConvAutoencoder& model, const dataset& data, const std::string& caption)
        {
            constexpr int pairs = 2, rows = 4;
            const std::size_t count = std::min<std::size_t>(data.validation.size(), pairs * rows);
            std::vector<double> out;
            {
                no_grad_guard no_grad;
                out = model(inputs(data.validation, range(0, count))).to_vector();
            }
            const int tile = data.width * scale, tile_h = data.height * scale;
            const int pair_w = 2 * tile + gap, width = 2 * margin + pairs * pair_w + (pairs - 1) * 3 * gap;
            const int used_rows = static_cast<int>((count + pairs - 1) / pairs);
            const int height = 2 * margin + label_height + used_rows * (tile_h + gap) + label_height;
            rgb_image canvas(width, height);
            for (std::size_t i = 0; i < count; ++i)
            {
                const int col = static_cast<int>(i % pairs), row = static_cast<int>(i / pairs);
                const int x = margin + col * (pair_w + 3 * gap), y = margin + label_height + row * (tile_h + gap);
                if (row == 0)
                {
                    label(canvas, x, margin, tile, "input");
                    label(canvas, x + tile + gap, margin, tile, "reconstruction");
                }
                paste(canvas, upscale(data.validation[i].image, scale), x, y);
                paste(canvas, upscale(to_image(out, static_cast<std::int64_t>(i), data.height, data.width), scale),
                      x + tile + gap, y);
            }
            draw_text(canvas, margin, height - margin - glyph_height, caption, ink);
            return canvas;
        }

        // For 3 pairs of validation images (a, b): a's input, then the decoder's output for
        // the codes (1 - t) code(a) + t code(b) at t = 0, 1/7, ..., 1, then b's input.
        rgb_image interpolation(ConvAutoencoder& model, const dataset& data)
        {
            constexpr int steps = 8, pairs = 3;
            const std::size_t n = data.validation.size();
            const int tile = data.width * scale, tile_h = data.height * scale;
            const int columns = steps + 2;
            const int width = 2 * margin + columns * tile + (columns - 1) * gap + 2 * gap;
            const int height = 2 * margin + label_height + pairs * (tile_h + gap) + label_height;
            rgb_image canvas(width, height);
            auto column_x = [&](int c) { return margin + c * (tile + gap) + (c > 0 ? gap : 0) + (c == columns - 1 ? gap : 0); };
            label(canvas, column_x(0), margin, tile, "image a");
            label(canvas, column_x(columns - 1), margin, tile, "image b");
            for (int k = 0; k < steps; ++k)
            {
                label(canvas, column_x(k + 1), margin, tile, detail::str("t=", std::fixed, std::setprecision(2),
                                                                         static_cast<double>(k) / (steps - 1)));
            }
            no_grad_guard no_grad;
            for (int p = 0; p < pairs; ++p)
            {
                // Pairs from different parts of the validation set, so they differ.
                const std::size_t a = (static_cast<std::size_t>(2 * p)) % n, b = (static_cast<std::size_t>(2 * p) + n / 2 + 1) % n;
                const Tensor codes = model.encode(inputs(data.validation, {a, b}));
                const Tensor ca = narrow(codes, 0, 0, 1), cb = narrow(codes, 0, 1, 1);
                tensor_list mixed;
                for (int k = 0; k < steps; ++k)
                {
                    const double t = static_cast<double>(k) / (steps - 1);
                    mixed.push_back(ca * (1.0 - t) + cb * t);
                }
                const std::vector<double> out = model.decode(cat(mixed, 0)).to_vector();
                const int y = margin + label_height + p * (tile_h + gap);
                paste(canvas, upscale(data.validation[a].image, scale), column_x(0), y);
                for (int k = 0; k < steps; ++k)
                {
                    paste(canvas, upscale(to_image(out, k, data.height, data.width), scale), column_x(k + 1), y);
                }
                paste(canvas, upscale(data.validation[b].image, scale), column_x(columns - 1), y);
            }
            draw_text(canvas, margin, height - margin - glyph_height,
                      "decoder output for codes interpolated linearly between the codes of a and b", ink);
            return canvas;
        }

        rgb_image curves(const std::vector<epoch_row>& history)
        {
            line_chart chart;
            chart.title = "reconstruction psnr (db)";
            chart.x_label = "epoch";
            plot_series train{"train", {31, 119, 180}, {}}, val{"validation", {214, 39, 40}, {}};
            for (const epoch_row& r : history)
            {
                train.points.emplace_back(static_cast<double>(r.epoch), psnr(r.train_mse));
                val.points.emplace_back(static_cast<double>(r.epoch), psnr(r.val_mse));
            }
            chart.series = {train, val};
            return render_chart(chart, 480, 320);
        }
    }

    autoencoder_result train_autoencoder(const autoencoder_config& cfg, std::ostream& log)
    {
        if (cfg.image_size % 4 != 0 || cfg.image_size < 8)
        {
            throw std::invalid_argument(detail::str("train_autoencoder: an image size that is a multiple of 4 and >= 8, got ",
                                                    cfg.image_size));
        }
        if (cfg.threads > 0)
        {
            set_num_threads(cfg.threads);
        }
        const fs::path out = cfg.out;
        fs::create_directories(out);
        const dataset data = synthetic_dataset(cfg.seed, cfg.train_size, cfg.val_size, cfg.image_size);

        manual_seed(cfg.seed);
        ConvAutoencoder model;
        optim::Adam optimizer(model.parameters(), optim::AdamOptions(cfg.lr));

        const bool tty = ::isatty(::fileno(stdout)) && &log == &std::cout;
        const std::size_t n = data.train.size(), bs = static_cast<std::size_t>(cfg.batch_size);
        const std::size_t steps = (n + bs - 1) / bs;
        autoencoder_result result;
        result.initial_val_mse = evaluate(model, data, bs);
        log << "ConvAutoencoder, code " << ConvAutoencoder::code_channels << "x" << cfg.image_size / 4 << "x"
            << cfg.image_size / 4 << " for " << cfg.image_size << "x" << cfg.image_size << "x3 images, " << n
            << " training and " << data.validation.size() << " validation images\n"
            << std::fixed << std::setprecision(4) << "before training: validation MSE " << result.initial_val_mse
            << "  PSNR " << std::setprecision(2) << psnr(result.initial_val_mse) << " dB" << std::endl;

        std::vector<epoch_row> history;
        const auto run_start = std::chrono::steady_clock::now();
        double images_done = 0;
        for (std::int64_t epoch = 0; epoch < cfg.epochs; ++epoch)
        {
            const auto epoch_start = std::chrono::steady_clock::now();
            const std::vector<std::size_t> order = epoch_order(n, cfg.seed, epoch);
            double loss_sum = 0;
            for (std::size_t step = 0; step < steps; ++step)
            {
                const std::vector<std::size_t> idx(order.begin() + static_cast<std::ptrdiff_t>(step * bs),
                                                   order.begin() + static_cast<std::ptrdiff_t>(std::min(n, (step + 1) * bs)));
                const Tensor x = inputs(data.train, idx);
                const Tensor loss = mse_loss(model(x), to_unit(x));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                const double value = loss.item();
                if (epoch == 0 && step == 0)
                {
                    result.first_train_mse = value;
                }
                loss_sum += value * static_cast<double>(idx.size());
                images_done += static_cast<double>(idx.size());
                const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
                const double rate = images_done / std::max(elapsed, 1e-9);
                const double remaining = static_cast<double>(cfg.epochs) * static_cast<double>(n) - images_done;
                const std::size_t seen = std::min(n, (step + 1) * bs);
                const std::string line = detail::str("epoch ", epoch + 1, "/", cfg.epochs, "  step ", step + 1, "/", steps,
                                                     "  train MSE ", std::fixed, std::setprecision(4),
                                                     loss_sum / static_cast<double>(seen), "  ", std::setprecision(1), rate,
                                                     " img/s  ETA ", duration(remaining / rate));
                if (tty)
                {
                    log << "\r" << line << "\033[K" << std::flush;
                }
                else if (step + 1 == steps)
                {
                    log << line << std::endl;
                }
            }
            if (tty)
            {
                log << "\n";
            }
            epoch_row row;
            row.epoch = epoch + 1;
            row.train_mse = loss_sum / static_cast<double>(n);
            row.val_mse = evaluate(model, data, bs);
            row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
            history.push_back(row);
            log << std::fixed << std::setprecision(4) << "  train MSE " << row.train_mse << "  PSNR " << std::setprecision(2)
                << psnr(row.train_mse) << " dB   validation MSE " << std::setprecision(4) << row.val_mse << "  PSNR "
                << std::setprecision(2) << psnr(row.val_mse) << " dB" << std::endl;

            write_metrics(history, out / "metrics.csv");
            if (!cfg.quiet)
            {
                const std::string caption = detail::str("epoch ", row.epoch, "  validation mse ", std::fixed, std::setprecision(4),
                                                        row.val_mse, "  psnr ", std::setprecision(1), psnr(row.val_mse), " db");
                write_png(reconstructions(model, data, caption), (out / "reconstructions.png").string());
                write_png(curves(history), (out / "curves.png").string());
            }
        }
        if (!cfg.quiet)
        {
            write_png(interpolation(model, data), (out / "interpolation.png").string());
        }
        if (!history.empty())
        {
            result.last_train_mse = history.back().train_mse;
            result.last_val_mse = history.back().val_mse;
        }
        log << "wrote " << (out / "metrics.csv").string()
            << (cfg.quiet ? "" : ", reconstructions.png, curves.png and interpolation.png") << "\n";
        return result;
    }
}
