// Segmentation and classification metrics, off the graph (no gradients): a confusion-matrix
// accumulator over batches with per-class IoU and Dice, their means and pixel accuracy, and
// the thresholding helpers that turn binary logits or probabilities into class predictions.
// Counts are summed exactly (int64), so an epoch figure is computed from the whole epoch's
// counts, never as a mean of per-batch means; merge() adds two accumulators' raw counts
// (what a distributed all-reduce of counts() would do). Not here: losses (autograd/loss.hpp),
// top-k accuracy, averaging over a dataset's images.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace adjoint
{
    class confusion_matrix
    {
    public:
        explicit confusion_matrix(std::int64_t num_classes);   // num_classes >= 1

        // Counts one (target, prediction) pair per position. pred and target: int64 of one
        // shape (any, e.g. (n, h, w)), values in [0, num_classes); positions where target ==
        // ignore_index are skipped entirely (their prediction is not read).
        void update(const Tensor& pred, const Tensor& target, std::optional<std::int64_t> ignore_index = std::nullopt);
        // Adds another accumulator's counts (same num_classes).
        void merge(const confusion_matrix& other);
        // Adds raw counts: int64 (num_classes, num_classes), none negative, as counts() gives
        // them (e.g. the sum over ranks of layers/distributed/metrics.hpp).
        void merge(const Tensor& counts);
        void reset();

        std::int64_t num_classes() const { return m_classes; }
        // int64 (num_classes, num_classes): row = target class, column = predicted class.
        Tensor counts() const;
        std::int64_t total() const;   // positions counted

        // Per class c, with TP = counts[c, c], FP = column sum − TP, FN = row sum − TP:
        //   IoU = TP / (TP + FP + FN),   Dice = 2 TP / (2 TP + FP + FN).
        // A class absent from both predictions and targets (denominator 0) has no defined
        // score: it is NaN in the per-class float64 (num_classes) tensor and left out of the
        // means (a mean over no class at all is NaN).
        Tensor iou() const;
        double mean_iou() const;
        Tensor dice() const;
        double mean_dice() const;
        double pixel_accuracy() const;   // trace / total; NaN before any update

    private:
        std::int64_t m_classes;
        std::vector<std::int64_t> m_counts;   // row-major (target, prediction)
    };

    // Binary predictions as int64 0/1 of the input's shape, for confusion_matrix(2):
    // 1 where logit > threshold (default 0, i.e. probability > 0.5), else 0.
    Tensor binary_predictions_from_logits(const Tensor& logits, double threshold = 0.0);
    // 1 where probability > threshold (default 0.5), else 0.
    Tensor binary_predictions_from_probabilities(const Tensor& probabilities, double threshold = 0.5);
}
