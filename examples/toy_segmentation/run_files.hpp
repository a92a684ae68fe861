// What a toy_segmentation run writes and reads back besides the weights: the checkpoint
// metadata (the configuration that decides the trajectory, and the epoch history) and
// metrics.csv. Not here: the tensors themselves (layers/checkpoint.hpp) or the pictures.
#pragma once
#include "pictures.hpp"
#include "training.hpp"

#include <adjoint/adjoint.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::examples
{
    // The metadata that must match for --resume (and rebuilds the model for --predict).
    metadata_map config_metadata(const run_config& cfg, std::int64_t num_classes);
    // ck's value of `key`; a missing key is "not a toy_segmentation checkpoint", naming path.
    const std::string& meta(const checkpoint& ck, const std::string& path, const std::string& key);
    // The run configuration a checkpoint was trained with.
    run_config config_of(const checkpoint& ck, const std::string& path);
    // The epoch history as text for the metadata, and back (`classes` IoU columns per line).
    std::string history_text(const std::vector<epoch_record>& history);
    std::vector<epoch_record> parse_history(const std::string& text, std::size_t classes);
    // metrics.csv: one row per epoch, one IoU column per class.
    void write_metrics(const std::vector<epoch_record>& history, const dataset& data, bool classes,
                       const std::string& file);
}
