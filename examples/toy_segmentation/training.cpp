// Training, evaluation, checkpoints, prediction and the validation dump (see training.hpp).
#include "training.hpp"

#include "pictures.hpp"
#include "run_files.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace adjoint::examples
{
    namespace
    {
        std::int64_t output_channels(bool classes, std::int64_t num_classes) { return classes ? num_classes : 1; }

        Tensor compute_loss(const Tensor& logits, const Tensor& target, const run_config& cfg)
        {
            Tensor loss;
            if (cfg.classes)
            {
                loss = cross_entropy(logits, target);
            }
            else if (cfg.pos_weight != 1.0)
            {
                loss = binary_cross_entropy_with_logits(logits, target, Tensor(),
                                                        full({1}, cfg.pos_weight, logits.dtype()));
            }
            else
            {
                loss = binary_cross_entropy_with_logits(logits, target);
            }
            return cfg.dice ? loss + dice_loss(logits, target) : loss;
        }

        // The learning rate of global step `step` (0-based): a linear warm-up over
        // warmup_steps, then constant. A function of the step alone, so resume needs no state.
        double lr_at(const run_config& cfg, std::int64_t step)
        {
            return step < cfg.warmup_steps ? cfg.lr * static_cast<double>(step + 1) / cfg.warmup_steps : cfg.lr;
        }

        // Class-index predictions [B, H, W] (int64) from logits.
        Tensor predictions(const Tensor& logits, bool classes)
        {
            return classes ? argmax(logits, 1) : squeeze(binary_predictions_from_logits(logits), 1);
        }

        gray_image to_mask(const Tensor& pred, std::int64_t b, int h, int w, std::uint8_t scale = 1)
        {
            const auto v = narrow(pred, 0, b, 1).to_vector();
            gray_image m(w, h, 0);
            for (std::size_t i = 0; i < m.pixels.size(); ++i)
            {
                m.pixels[i] = static_cast<std::uint8_t>(v[i] * scale);
            }
            return m;
        }

        TinySegOptions model_options(const run_config& cfg, std::int64_t num_classes)
        {
            TinySegOptions o;
            o.out_channels = output_channels(cfg.classes, num_classes);
            o.unet = cfg.unet;
            o.batchnorm = cfg.batchnorm;
            return o;
        }

        void load_model(TinySeg& model, const checkpoint& ck, const std::string& path)
        {
            try
            {
                model.load_state_dict(under_prefix(ck.tensors, "model"));
            }
            catch (const std::exception& e)
            {
                throw std::runtime_error(detail::str(path, ": does not fit this model: ", e.what()));
            }
        }

        std::string duration(double seconds)
        {
            const long s = std::lround(std::max(0.0, seconds));
            return s >= 60 ? detail::str(s / 60, "m", std::setw(2), std::setfill('0'), s % 60, "s") : detail::str(s, "s");
        }

        struct evaluation
        {
            double loss = 0;
            confusion_matrix counts{2};
        };

        // The rank-th of `parts` contiguous parts of [0, n): sizes differ by at most one.
        std::pair<std::size_t, std::size_t> share(std::size_t n, int rank, int parts)
        {
            const auto r = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(parts);
            return {n * r / p, n * (r + 1) / p};
        }

        // Loss and confusion counts over the validation set: each rank evaluates its share,
        // and the sums are reduced, so every rank holds the figures of the whole set.
        evaluation evaluate(TinySeg& model, const dataset& data, const run_config& cfg, std::int64_t num_classes,
                            replicas& group)
        {
            no_grad_guard no_grad;
            model.eval();
            evaluation ev{0.0, confusion_matrix(cfg.classes ? num_classes : 2)};
            const auto [first, last] = share(data.validation.size(), group.rank(), group.size());
            for (std::size_t begin = first; begin < last; begin += static_cast<std::size_t>(cfg.batch_size))
            {
                std::vector<std::size_t> idx;
                for (std::size_t i = begin; i < std::min(last, begin + cfg.batch_size); ++i)
                {
                    idx.push_back(i);
                }
                const batch b = make_batch(data.validation, idx, cfg.classes);
                const Tensor logits = model(b.images);
                // Both losses are means of per-image terms: batch mean x count = the images' sum.
                ev.loss += compute_loss(logits, b.target, cfg).item() * static_cast<double>(idx.size());
                const Tensor target = cfg.classes ? b.target : squeeze(b.target, 1).to(int64);
                ev.counts.update(predictions(logits, cfg.classes), target);
            }
            std::int64_t count = static_cast<std::int64_t>(last - first);
            group.sum(ev.loss, count);
            group.sum(ev.counts);
            ev.loss /= static_cast<double>(count);
            model.train();
            return ev;
        }

        void write_pictures(TinySeg& model, const dataset& data, const run_config& cfg, std::int64_t num_classes,
                            const std::vector<epoch_record>& history, const fs::path& out)
        {
            no_grad_guard no_grad;
            model.eval();
            std::vector<std::size_t> idx;
            for (std::size_t i = 0; i < std::min<std::size_t>(data.validation.size(), cfg.montage_rows); ++i)
            {
                idx.push_back(i);
            }
            const batch b = make_batch(data.validation, idx, cfg.classes);
            const Tensor pred = predictions(model(b.images), cfg.classes);
            model.train();
            std::vector<montage_row> rows;
            std::vector<gray_image> truths;
            for (std::size_t r = 0; r < idx.size(); ++r)
            {
                gray_image truth = data.validation[r].mask;
                if (!cfg.classes)
                {
                    for (auto& v : truth.pixels)
                    {
                        v = v > 0 ? 1 : 0;
                    }
                }
                truths.push_back(std::move(truth));
            }
            for (std::size_t r = 0; r < idx.size(); ++r)
            {
                rows.push_back({&data.validation[r].image, &truths[r],
                                to_mask(pred, static_cast<std::int64_t>(r), data.height, data.width)});
            }
            const epoch_record& last = history.back();
            const std::string caption = detail::str("epoch ", last.epoch, "  validation ", cfg.classes ? "mean IoU " : "IoU ",
                                                    std::fixed, std::setprecision(3), last.val_iou);
            write_png(montage(rows, cfg.classes ? num_classes : 2, caption), (out / "montage.png").string());
            write_png(curves(history, cfg.classes ? "mean iou" : "iou"), (out / "curves.png").string());
        }
    }

    dataset load_data(const run_config& cfg)
    {
        return cfg.data.empty() ? synthetic_dataset(cfg.seed, cfg.train_size, cfg.val_size, cfg.image_size)
                                : folder_dataset(cfg.data);
    }

    run_result train(const run_config& cfg, std::ostream& log)
    {
        replicas alone;
        return train(cfg, log, alone);
    }

    run_result train(const run_config& cfg, std::ostream& log, replicas& group)
    {
        const bool main_rank = group.rank() == 0;
        if (static_cast<std::int64_t>(cfg.batch_size) < group.size())
        {
            throw std::invalid_argument(detail::str("--batch-size: at least one image per rank, got ", cfg.batch_size,
                                                    " for ", group.size(), " ranks"));
        }
        if (cfg.threads > 0)
        {
            set_num_threads(cfg.threads);
        }
        const fs::path out = cfg.out;
        const fs::path last_path = out / "last.safetensors", best_path = out / "best.safetensors";

        // Everything that can fail on the way in is checked before anything is written.
        checkpoint resumed;
        if (cfg.resume)
        {
            if (!fs::exists(last_path))
            {
                throw std::runtime_error(detail::str("--resume: no checkpoint at ", last_path.string()));
            }
            resumed = load_checkpoint(last_path.string());
        }
        const dataset data = load_data(cfg);
        const std::int64_t num_classes = cfg.classes ? data.num_classes : 2;

        manual_seed(cfg.seed);
        TinySeg model(model_options(cfg, num_classes));
        optim::Adam optimizer(model.parameters(), optim::AdamOptions(cfg.lr));
        std::vector<epoch_record> history;
        std::int64_t start_epoch = 0, best_epoch = 0;
        double best_iou = -1.0;
        if (cfg.resume)
        {
            const std::string path = last_path.string();
            const metadata_map want = config_metadata(cfg, num_classes);
            for (const auto& [key, value] : want)
            {
                if (meta(resumed, path, key) != value)
                {
                    throw std::runtime_error(detail::str("--resume: ", path, " was trained with ", key, "=",
                                                         meta(resumed, path, key), ", this run has ", key, "=", value,
                                                         "; resume with the same settings"));
                }
            }
            load_model(model, resumed, path);
            try
            {
                optimizer.load_state_dict(under_prefix(resumed.tensors, "optimizer"));
                start_epoch = std::stoll(meta(resumed, path, "epoch"));
                best_iou = std::stod(meta(resumed, path, "best_iou"));
                best_epoch = std::stoll(meta(resumed, path, "best_epoch"));
                history = parse_history(meta(resumed, path, "history"), static_cast<std::size_t>(num_classes));
            }
            catch (const std::exception& e)
            {
                throw std::runtime_error(detail::str(path, ": cannot resume from it: ", e.what()));
            }
            if (start_epoch >= cfg.epochs)
            {
                throw std::runtime_error(detail::str("--resume: ", path, " already has ", start_epoch,
                                                     " epochs; ask for more with --epochs (the total, e.g. --epochs ",
                                                     start_epoch + 1, ")"));
            }
            log << "resuming from " << path << " after epoch " << start_epoch << "\n";
        }
        // Every rank starts from rank 0's weights (a fresh run's are equal anyway: same seed).
        group.attach(model);
        if (main_rank)
        {
            fs::create_directories(out);
        }

        // Under mpirun a rank's stdout is a pseudo-terminal even when the job's output goes to
        // a file, so the one-line \r progress display is for runs alone.
        const bool tty = ::isatty(::fileno(stdout)) && &log == &std::cout && group.size() == 1;
        const std::size_t n = data.train.size(), bs = static_cast<std::size_t>(cfg.batch_size);
        const std::size_t steps = (n + bs - 1) / bs;
        const auto run_start = std::chrono::steady_clock::now();
        double images_done = 0;
        run_result result;
        result.epochs_done = start_epoch;
        log << "TinySeg" << (cfg.unet ? " (U-Net skips)" : "") << ", " << model.parameters().size() << " tensors, "
            << data.train.size() << " training and " << data.validation.size() << " validation images of " << data.width
            << "x" << data.height << ", " << (cfg.classes ? detail::str(num_classes, " classes") : "binary masks") << "\n";
        if (group.size() > 1)
        {
            const std::size_t ranks = static_cast<std::size_t>(group.size()), per_rank = bs / ranks;
            log << ranks << " ranks x " << cfg.threads << " thread(s), " << per_rank
                << (bs % ranks != 0 ? detail::str("-", per_rank + 1) : "") << " images per rank per step"
                << (cfg.batchnorm ? "; BatchNorm statistics are per rank (validation uses rank 0's)" : "") << "\n";
        }
        for (std::int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch)
        {
            const auto epoch_start = std::chrono::steady_clock::now();
            const std::vector<std::size_t> order = epoch_order(n, cfg.seed, epoch);
            double loss_sum = 0;
            std::size_t loss_count = 0;
            for (std::size_t step = 0; step < steps; ++step)
            {
                const std::size_t step_begin = step * bs, step_size = std::min(n, step_begin + bs) - step_begin;
                if (step_size < static_cast<std::size_t>(group.size()))
                {
                    // A rank would get no image: every rank skips this last, short batch alike.
                    log << "(epoch " << epoch + 1 << ": the last batch of " << step_size
                        << " image(s) is skipped: fewer images than ranks)\n";
                    continue;
                }
                const auto [first, last] = share(step_size, group.rank(), group.size());
                const std::vector<std::size_t> idx(order.begin() + static_cast<std::ptrdiff_t>(step_begin + first),
                                                   order.begin() + static_cast<std::ptrdiff_t>(step_begin + last));
                const batch b = make_batch(data.train, idx, cfg.classes);
                const Tensor loss = compute_loss(model(b.images), b.target, cfg);
                optimizer.zero_grad();
                // The ranks' gradients are averaged; unequal parts are weighted so that the
                // average is the gradient of the whole batch's mean loss.
                const double weight = static_cast<double>(idx.size() * static_cast<std::size_t>(group.size())) /
                                      static_cast<double>(step_size);
                (weight == 1.0 ? loss : loss * weight).backward();
                group.average_gradients();
                optimizer.set_lr(0, lr_at(cfg, epoch * static_cast<std::int64_t>(steps) + static_cast<std::int64_t>(step)));
                optimizer.step();
                const double value = loss.item();
                if (epoch == start_epoch && step == 0)
                {
                    double first_total = value * static_cast<double>(idx.size());
                    std::int64_t first_count = static_cast<std::int64_t>(idx.size());
                    group.sum(first_total, first_count);
                    result.first_train_loss = first_total / static_cast<double>(first_count);
                }
                loss_sum += value * static_cast<double>(idx.size());
                loss_count += idx.size();
                images_done += static_cast<double>(step_size);
                const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
                const double rate = images_done / std::max(elapsed, 1e-9);
                const double remaining = static_cast<double>((cfg.epochs - epoch) * static_cast<std::int64_t>(n)) -
                                         static_cast<double>(step_begin + step_size);
                // Mid-epoch the loss shown is this rank's running mean; the epoch's figure is global.
                const std::string line = detail::str("epoch ", epoch + 1, "/", cfg.epochs, "  step ", step + 1, "/", steps,
                                                     "  loss ", std::fixed, std::setprecision(4), loss_sum / loss_count, "  ",
                                                     std::setprecision(1), rate, " img/s  ETA ",
                                                     duration(std::max(0.0, remaining) / rate));
                if (tty)
                {
                    log << "\r" << line << "\033[K" << std::flush;
                }
                else if (step + 1 == steps && !cfg.quiet)
                {
                    log << line << std::endl;
                }
            }
            if (tty)
            {
                log << "\n";
            }
            group.sync_buffers();
            const evaluation ev = evaluate(model, data, cfg, num_classes, group);
            std::int64_t train_count = static_cast<std::int64_t>(loss_count);
            group.sum(loss_sum, train_count);
            epoch_record record;
            record.epoch = epoch + 1;
            record.train_loss = loss_sum / static_cast<double>(train_count);
            record.val_loss = ev.loss;
            const auto ious = ev.counts.iou().to_vector();
            record.class_iou = ious;
            record.val_iou = cfg.classes ? ev.counts.mean_iou() : ious[1];
            record.val_dice = cfg.classes ? ev.counts.mean_dice() : ev.counts.dice().to_vector()[1];
            record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
            history.push_back(record);

            std::ostringstream summary;
            summary << std::fixed << std::setprecision(4) << "  validation loss " << record.val_loss
                    << (cfg.classes ? "  mean IoU " : "  IoU ") << record.val_iou
                    << (cfg.classes ? "  mean Dice " : "  Dice ") << record.val_dice;
            if (cfg.classes)
            {
                summary << "  (IoU";
                for (std::int64_t c = 0; c < num_classes; ++c)
                {
                    summary << " " << class_name(c) << " " << std::setprecision(3) << ious[static_cast<std::size_t>(c)];
                }
                summary << ")";
            }
            log << summary.str() << std::endl;

            const bool best = record.val_iou > best_iou;
            if (best)
            {
                best_iou = record.val_iou;
                best_epoch = record.epoch;
            }
            // Files, on rank 0 alone: metrics and pictures first, then the checkpoints (atomic writes).
            if (main_rank)
            {
                write_metrics(history, data, cfg.classes, (out / "metrics.csv").string());
                if (!cfg.quiet)
                {
                    write_pictures(model, data, cfg, num_classes, history, out);
                }
                metadata_map metadata = config_metadata(cfg, num_classes);
                metadata["epoch"] = std::to_string(record.epoch);
                metadata["best_iou"] = detail::str(std::setprecision(17), best_iou);
                metadata["best_epoch"] = std::to_string(best_epoch);
                metadata["val_iou"] = detail::str(std::setprecision(17), record.val_iou);
                metadata["history"] = history_text(history);
                named_tensors tensors = with_prefix(model.state_dict(), "model");
                for (auto& entry : with_prefix(optimizer.state_dict(), "optimizer"))
                {
                    tensors.push_back(std::move(entry));
                }
                save(tensors, last_path.string(), metadata);
                if (best)
                {
                    save(tensors, best_path.string(), metadata);
                }
            }
            result.epochs_done = record.epoch;
            result.last_train_loss = record.train_loss;
            result.last_val_iou = record.val_iou;
        }
        const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
        log << "trained " << cfg.epochs - start_epoch << " epochs in " << duration(total) << "; best validation "
            << (cfg.classes ? "mean IoU " : "IoU ") << std::fixed << std::setprecision(4) << best_iou << " (epoch "
            << best_epoch << ")\n";
        if (!cfg.quiet)
        {
            log << "montage:    " << (out / "montage.png").string() << "\n"
                << "curves:     " << (out / "curves.png").string() << "\n";
        }
        log << "metrics:    " << (out / "metrics.csv").string() << "\n"
            << "checkpoint: " << last_path.string() << " (best: " << best_path.string() << ")\n";
        return result;
    }

    std::string predict(const std::string& image_path, const std::string& checkpoint_path, std::ostream& log)
    {
        const checkpoint ck = load_checkpoint(checkpoint_path);
        const run_config cfg = config_of(ck, checkpoint_path);
        const std::int64_t num_classes = std::stoll(meta(ck, checkpoint_path, "num_classes"));
        TinySeg model(model_options(cfg, num_classes));
        load_model(model, ck, checkpoint_path);
        const rgb_image image = read_rgb(image_path);
        if (image.width % 4 != 0 || image.height % 4 != 0)
        {
            throw std::runtime_error(detail::str("--predict: ", image_path, " is ", image.width, " x ", image.height,
                                                 "; TinySeg needs sides that are multiples of 4"));
        }
        model.eval();
        no_grad_guard no_grad;
        const Tensor pred = predictions(model(image_tensor({&image})), cfg.classes);
        const gray_image mask = to_mask(pred, 0, image.height, image.width);
        const fs::path in(image_path);
        const fs::path mask_path = in.parent_path() / (in.stem().string() + "_mask.png");
        const fs::path overlay_path = in.parent_path() / (in.stem().string() + "_overlay.png");
        write_png(cfg.classes ? mask : to_mask(pred, 0, image.height, image.width, 255), mask_path.string());
        write_png(overlay(image, mask), overlay_path.string());
        log << "mask:    " << mask_path.string() << "\noverlay: " << overlay_path.string() << "\n";
        return mask_path.string();
    }

    void dump_validation(const std::string& checkpoint_path, const std::string& dir, std::ostream& log)
    {
        const checkpoint ck = load_checkpoint(checkpoint_path);
        const run_config cfg = config_of(ck, checkpoint_path);
        const std::int64_t num_classes = std::stoll(meta(ck, checkpoint_path, "num_classes"));
        TinySeg model(model_options(cfg, num_classes));
        load_model(model, ck, checkpoint_path);
        const dataset data = load_data(cfg);
        std::vector<const rgb_image*> images;
        for (const sample& s : data.validation)
        {
            images.push_back(&s.image);
        }
        model.eval();
        no_grad_guard no_grad;
        const Tensor x = image_tensor(images);
        std::vector<std::size_t> all(data.validation.size());
        for (std::size_t i = 0; i < all.size(); ++i)
        {
            all[i] = i;
        }
        const batch b = make_batch(data.validation, all, cfg.classes);
        fs::create_directories(dir);
        save_npy(cfg.classes ? b.target.to(float32) : squeeze(b.target, 1), (fs::path(dir) / "masks.npy").string());
        save_npy(x, (fs::path(dir) / "images.npy").string());
        save_npy(model(x), (fs::path(dir) / "logits.npy").string());
        log << "wrote " << images.size() << " validation images and their logits to " << dir << "\n";
    }
}
