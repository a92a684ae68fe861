// The toy segmentation program's work, callable from main.cpp and the tests: training (with
// resume), prediction on one image, and the validation dump compare_torch.py reads.
// Checkpoints hold model.* and optimizer.* tensors and the run's configuration, epoch and
// history as metadata, so a checkpoint alone rebuilds the model and its data.
// Errors are std::runtime_error / std::invalid_argument with the file or value named.
#pragma once
#include "dataset.hpp"
#include "tinyseg.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>

namespace adjoint::examples
{
    struct run_config
    {
        int epochs = 24;
        int batch_size = 8;
        int image_size = 64;
        int train_size = 512;
        int val_size = 64;
        double lr = 1e-3;
        int threads = 0;   // 0: leave adjoint's default
        std::uint64_t seed = 0;
        std::string out = "runs/toy_segmentation";
        bool resume = false;
        bool unet = false, classes = false, batchnorm = false, dice = false;
        std::string data;        // a folder (images/, masks/) instead of the synthetic set
        int montage_rows = 6;
        bool quiet = false;      // no per-epoch pictures (tests)
    };

    struct run_result
    {
        std::int64_t epochs_done = 0;
        double first_train_loss = 0, last_train_loss = 0, last_val_iou = 0;
    };

    // Trains cfg.epochs epochs in total (continuing from OUT/last.safetensors with resume),
    // writing metrics.csv, montage.png, curves.png, last.safetensors and best.safetensors
    // into cfg.out after every epoch. Progress goes to `log`.
    run_result train(const run_config& cfg, std::ostream& log);

    // Writes <stem>_mask.png (class indices; binary masks as 0 / 255) and <stem>_overlay.png
    // next to `image`; returns the mask's path.
    std::string predict(const std::string& image, const std::string& checkpoint_path, std::ostream& log);

    // Writes images.npy (float32 [N, 3, H, W]), masks.npy (float32 [N, H, W], class indices)
    // and logits.npy (float32 [N, C, H, W]) of the checkpoint's validation set into dir.
    void dump_validation(const std::string& checkpoint_path, const std::string& dir, std::ostream& log);

    // The data set a configuration trains on (synthetic or cfg.data).
    dataset load_data(const run_config& cfg);
}
