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
        // The default recipe (docs/getting-started.md): small batches, many steps.
        int epochs = 20;
        int batch_size = 2;
        int image_size = 64;
        int train_size = 512;
        int val_size = 64;
        double lr = 1e-3;
        int warmup_steps = 100;  // lr rises linearly over the first steps, then stays at lr
        double pos_weight = 3;   // binary: BCE's weight of the foreground term (1: plain BCE)
        int threads = 0;   // 0: leave adjoint's default
        std::uint64_t seed = 0;
        std::string out = "runs/toy_segmentation";
        bool resume = false;
        bool unet = false, classes = false, batchnorm = false;
        bool dice = true;        // + Dice loss (--no-dice: the cross-entropy alone)
        std::string data;        // a folder (images/, masks/) instead of the synthetic set
        int montage_rows = 6;
        bool quiet = false;      // no per-epoch pictures (tests)
    };

    struct run_result
    {
        std::int64_t epochs_done = 0;
        double first_train_loss = 0, last_train_loss = 0, last_val_iou = 0;
    };

    // The processes a run shares its steps with (toy_segmentation --distributed: one MPI rank
    // each, mpi_replicas.hpp); the default is a run alone. train() cuts every step's batch and
    // the validation set into size() contiguous parts, takes the rank()-th, and calls these
    // collectives at the points data-parallel training needs them, in the same order on every
    // rank. With equal parts a step computes the single-process step's gradient, so a run on
    // W ranks follows the run on one (up to float rounding) and can resume its checkpoints.
    class replicas
    {
    public:
        virtual ~replicas() = default;
        virtual int rank() const { return 0; }
        virtual int size() const { return 1; }
        // Once, after the model is built (and resumed): every rank's copy becomes rank 0's.
        virtual void attach(Module& model) { (void)model; }
        // Between backward() and the optimizer's step: every rank's gradients become their mean.
        virtual void average_gradients() {}
        // Before validating and saving: rank 0's buffers (BatchNorm's running statistics) on every rank.
        virtual void sync_buffers() {}
        // Sums over the ranks, in place.
        virtual void sum(double& total, std::int64_t& count) const { (void)total, (void)count; }
        virtual void sum(confusion_matrix& m) const { (void)m; }
    };

    // Trains cfg.epochs epochs in total (continuing from OUT/last.safetensors with resume),
    // writing metrics.csv, montage.png, curves.png, last.safetensors and best.safetensors
    // into cfg.out after every epoch (rank 0 alone writes). Progress goes to `log`.
    run_result train(const run_config& cfg, std::ostream& log);
    run_result train(const run_config& cfg, std::ostream& log, replicas& group);

    // Writes <stem>_mask.png (class indices; binary masks as 0 / 255) and <stem>_overlay.png
    // next to `image`; returns the mask's path.
    std::string predict(const std::string& image, const std::string& checkpoint_path, std::ostream& log);

    // Writes images.npy (float32 [N, 3, H, W]), masks.npy (float32 [N, H, W], class indices)
    // and logits.npy (float32 [N, C, H, W]) of the checkpoint's validation set into dir.
    void dump_validation(const std::string& checkpoint_path, const std::string& dir, std::ostream& log);

    // The data set a configuration trains on (synthetic or cfg.data).
    dataset load_data(const run_config& cfg);
}
