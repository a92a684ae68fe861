// Checkpoint metadata and metrics.csv of a toy_segmentation run (see run_files.hpp).
#include "run_files.hpp"

#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace adjoint::examples
{
    metadata_map config_metadata(const run_config& cfg, std::int64_t num_classes)
    {
        return {{"toy_segmentation", "1"},
                {"seed", std::to_string(cfg.seed)},
                {"batch_size", std::to_string(cfg.batch_size)},
                {"lr", detail::str(std::setprecision(17), cfg.lr)},
                {"warmup_steps", std::to_string(cfg.warmup_steps)},
                {"pos_weight", detail::str(std::setprecision(17), cfg.pos_weight)},
                {"image_size", std::to_string(cfg.image_size)},
                {"train_size", std::to_string(cfg.train_size)},
                {"val_size", std::to_string(cfg.val_size)},
                {"classes", cfg.classes ? "1" : "0"},
                {"num_classes", std::to_string(num_classes)},
                {"unet", cfg.unet ? "1" : "0"},
                {"batchnorm", cfg.batchnorm ? "1" : "0"},
                {"dice", cfg.dice ? "1" : "0"},
                {"data", cfg.data}};
    }

    const std::string& meta(const checkpoint& ck, const std::string& path, const std::string& key)
    {
        const auto it = ck.metadata.find(key);
        if (it == ck.metadata.end())
        {
            throw std::runtime_error(detail::str(path, ": not a toy_segmentation checkpoint (no '", key, "' in its metadata)"));
        }
        return it->second;
    }

    // The run configuration a checkpoint was trained with.
    run_config config_of(const checkpoint& ck, const std::string& path)
    {
        if (meta(ck, path, "toy_segmentation") != "1")
        {
            throw std::runtime_error(detail::str(path, ": unknown toy_segmentation checkpoint version '", meta(ck, path, "toy_segmentation"), "'"));
        }
        run_config cfg;
        try
        {
            cfg.seed = std::stoull(meta(ck, path, "seed"));
            cfg.batch_size = std::stoi(meta(ck, path, "batch_size"));
            cfg.lr = std::stod(meta(ck, path, "lr"));
            cfg.warmup_steps = std::stoi(meta(ck, path, "warmup_steps"));
            cfg.pos_weight = std::stod(meta(ck, path, "pos_weight"));
            cfg.image_size = std::stoi(meta(ck, path, "image_size"));
            cfg.train_size = std::stoi(meta(ck, path, "train_size"));
            cfg.val_size = std::stoi(meta(ck, path, "val_size"));
            cfg.classes = meta(ck, path, "classes") == "1";
            cfg.unet = meta(ck, path, "unet") == "1";
            cfg.batchnorm = meta(ck, path, "batchnorm") == "1";
            cfg.dice = meta(ck, path, "dice") == "1";
            cfg.data = meta(ck, path, "data");
        }
        catch (const std::logic_error& e)
        {
            throw std::runtime_error(detail::str(path, ": unreadable metadata (", e.what(), ")"));
        }
        return cfg;
    }

    std::string history_text(const std::vector<epoch_record>& history)
    {
        std::ostringstream out;
        out << std::setprecision(17);
        for (const epoch_record& e : history)
        {
            out << e.epoch << ' ' << e.train_loss << ' ' << e.val_loss << ' ' << e.val_iou << ' ' << e.val_dice << ' '
                << e.seconds;
            for (double v : e.class_iou)
            {
                out << ' ' << v;
            }
            out << '\n';
        }
        return out.str();
    }

    std::vector<epoch_record> parse_history(const std::string& text, std::size_t classes)
    {
        std::vector<epoch_record> history;
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line))
        {
            std::istringstream fields(line);
            epoch_record e;
            // NaN (a class absent from a validation epoch) is written as "nan"; read it back as such.
            std::vector<std::string> words;
            for (std::string w; fields >> w;)
            {
                words.push_back(w);
            }
            if (words.size() != 6 + classes)
            {
                throw std::runtime_error("history has a malformed line: '" + line + "'");
            }
            e.epoch = std::stoll(words[0]);
            double* slots[] = {&e.train_loss, &e.val_loss, &e.val_iou, &e.val_dice, &e.seconds};
            for (int k = 0; k < 5; ++k)
            {
                *slots[k] = std::strtod(words[static_cast<std::size_t>(k) + 1].c_str(), nullptr);
            }
            for (std::size_t c = 0; c < classes; ++c)
            {
                e.class_iou.push_back(std::strtod(words[6 + c].c_str(), nullptr));
            }
            history.push_back(e);
        }
        return history;
    }

    void write_metrics(const std::vector<epoch_record>& history, const dataset& data, bool classes, const std::string& file)
    {
        std::ofstream out(file);
        out << "epoch,train_loss,val_loss,val_iou,val_dice,seconds";
        const std::int64_t n = classes ? data.num_classes : 2;
        for (std::int64_t c = 0; c < n; ++c)
        {
            out << ",iou_" << (classes ? class_name(c) : (c == 0 ? "background" : "shape"));
        }
        out << '\n' << std::setprecision(6);
        for (const epoch_record& e : history)
        {
            out << e.epoch << ',' << e.train_loss << ',' << e.val_loss << ',' << e.val_iou << ',' << e.val_dice << ','
                << std::setprecision(4) << e.seconds << std::setprecision(6);
            for (double v : e.class_iou)
            {
                out << ',' << v;
            }
            out << '\n';
        }
        if (!out)
        {
            throw std::runtime_error("cannot write " + file);
        }
    }
}
