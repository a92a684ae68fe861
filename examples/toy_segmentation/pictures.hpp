// What a person looks at after (and during) training: masks drawn over their images in
// colour, the montage of validation samples (input | ground truth | prediction) and the
// training curves. Drawing only; deciding what to predict is training.cpp's.
#pragma once
#include "common/image.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::examples
{
    // One epoch's figures, as written to metrics.csv.
    struct epoch_record
    {
        std::int64_t epoch = 0;   // 1-based
        double train_loss = 0, val_loss = 0, val_iou = 0, val_dice = 0, seconds = 0;
        std::vector<double> class_iou;   // per class (binary: background, foreground)
    };

    rgb class_colour(std::int64_t index);
    // The image with each pixel of class > 0 blended 55% towards its class colour.
    rgb_image overlay(const rgb_image& image, const gray_image& mask);

    struct montage_row
    {
        const rgb_image* image;
        const gray_image* truth;
        gray_image prediction;
    };
    // Rows of input | ground truth | prediction (each tile scaled up), labelled, with a
    // class legend and `caption` under them.
    rgb_image montage(const std::vector<montage_row>& rows, std::int64_t num_classes, const std::string& caption);

    // Loss (train and validation) and validation IoU / Dice against the epoch, side by side.
    rgb_image curves(const std::vector<epoch_record>& history, const std::string& iou_name);
}
