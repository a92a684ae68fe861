// The toy segmentation data: a seeded synthetic set of shapes on textured backgrounds, the
// same layout read from or written to a folder of PNG / JPEG files, and the batches and
// per-epoch orders training draws from it. Everything random comes from portable_rng
// (integer arithmetic only), so a seed gives the same images on every machine.
// Masks always hold class indices (0 background, 1 circle, 2 rectangle, 3 triangle for the
// synthetic set); binary training reads any nonzero index as foreground.
// Not here: augmentation, resizing, the model.
#pragma once
#include <adjoint/adjoint.hpp>

#include "common/image.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::examples
{
    // splitmix64: a tiny 64-bit generator, exactly specified, the same everywhere.
    class portable_rng
    {
    public:
        explicit portable_rng(std::uint64_t seed) : m_state(seed) {}
        std::uint64_t next();
        // Uniform integer in [lo, hi] (hi >= lo); the modulo bias is negligible for small ranges.
        std::int64_t between(std::int64_t lo, std::int64_t hi);

    private:
        std::uint64_t m_state;
    };

    // A seed for stream `stream` (a sample's index, an epoch) derived from `seed`.
    std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream);

    struct sample
    {
        std::string name;   // file stem: train_0000, val_0003, or the folder file's
        rgb_image image;
        gray_image mask;    // class index per pixel
    };

    struct dataset
    {
        std::vector<sample> train, validation;
        int height = 0, width = 0;
        std::int64_t num_classes = 4;   // max index + 1 (4 for the synthetic set)
    };

    constexpr int synthetic_kinds = 3;   // circle, rectangle, triangle
    const char* class_name(std::int64_t index);   // "background", "circle", ... or "class 5"

    // One image of `size` x `size`: a gradient background between two random colours plus
    // per-pixel noise, 1 to 4 filled shapes of random kind, colour, size and position
    // (later shapes cover earlier ones, in the mask too).
    sample synthetic_sample(std::uint64_t seed, std::uint64_t index, int size);
    // Samples 0 .. train_count-1 train, the next val_count validation (named val_*).
    dataset synthetic_dataset(std::uint64_t seed, int train_count, int val_count, int size);

    // DIR/images/*.png|jpg|jpeg with DIR/masks/<stem>.png of the same size; images whose
    // stem starts with "val_" are the validation set (or, when none does, every 8th image in
    // name order). std::runtime_error naming the file on a missing mask, a size mismatch or
    // an unreadable file.
    dataset folder_dataset(const std::string& dir);
    // Writes the layout folder_dataset reads (creating the folders).
    void write_dataset(const dataset& data, const std::string& dir);

    struct batch
    {
        Tensor images;   // float32 [B, 3, H, W], (byte - 127.5) / 127.5
        Tensor target;   // binary: float32 [B, 1, H, W] of 0 / 1; classes: int64 [B, H, W]
    };
    Tensor image_tensor(const std::vector<const rgb_image*>& images);
    batch make_batch(const std::vector<sample>& samples, const std::vector<std::size_t>& indices, bool classes);

    // The order of epoch `epoch`'s samples: a Fisher-Yates shuffle from (seed, epoch), so a
    // resumed run draws the same batches as an uninterrupted one.
    std::vector<std::size_t> epoch_order(std::size_t count, std::uint64_t seed, std::int64_t epoch);
}
