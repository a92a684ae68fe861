// confusion_matrix: exact accumulation over unequal batches (an epoch figure, not a mean of
// batch means), ignore_index, merge, the NaN rule for absent classes, the binary helpers and
// the bad-argument messages.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>

using namespace adjoint;

namespace
{
    Tensor labels(const nested_values& values) { return tensor(values, float64).to(int64); }

    // Batch 1: 4 pixels. Batch 2: 2 x 4 pixels, the last column ignored (its prediction 7
    // would be out of range: ignored positions are not read).
    void add_batch1(confusion_matrix& m) { m.update(labels({0, 1, 1, 2}), labels({0, 0, 1, 2}), 255); }
    void add_batch2(confusion_matrix& m)
    {
        m.update(labels({{1, 0, 1, 7}, {0, 1, 2, 0}}), labels({{1, 1, 1, 255}, {0, 2, 2, 255}}), 255);
    }
} // namespace

TEST(Metrics, EpochFiguresComeFromSummedCounts)
{
    confusion_matrix m(3);
    add_batch1(m);
    add_batch2(m);
    // Rows are targets, columns predictions.
    EXPECT_TENSOR_NEAR(m.counts(), labels({{2, 1, 0}, {1, 3, 0}, {0, 1, 2}}), 0.0, 0.0);
    EXPECT_EQ(m.counts().dtype(), int64);
    EXPECT_EQ(m.total(), 10);
    // Class 0: TP 2, FP 1, FN 1. Class 1: TP 3, FP 2, FN 1. Class 2: TP 2, FP 0, FN 1.
    EXPECT_TENSOR_NEAR(m.iou(), tensor({0.5, 0.5, 2.0 / 3.0}, float64), 0.0, 1e-15);
    EXPECT_TENSOR_NEAR(m.dice(), tensor({2.0 / 3.0, 2.0 / 3.0, 0.8}, float64), 0.0, 1e-15);
    EXPECT_NEAR(m.mean_iou(), 5.0 / 9.0, 1e-15);
    EXPECT_NEAR(m.mean_dice(), (4.0 / 3.0 + 0.8) / 3.0, 1e-15);
    EXPECT_DOUBLE_EQ(m.pixel_accuracy(), 0.7);
    // The mean of the two batches' mean IoUs (2/3 and 1/2) would be 7/12, not 5/9.
    confusion_matrix b1(3), b2(3);
    add_batch1(b1);
    add_batch2(b2);
    EXPECT_NEAR(b1.mean_iou(), 2.0 / 3.0, 1e-15);
    EXPECT_NEAR(b2.mean_iou(), 0.5, 1e-15);
    // merge adds the raw counts: the same epoch figure.
    b1.merge(b2);
    EXPECT_TENSOR_NEAR(b1.counts(), m.counts(), 0.0, 0.0);
    EXPECT_NEAR(b1.mean_iou(), 5.0 / 9.0, 1e-15);
    // Counts received as a tensor (another process's counts()) merge the same way.
    confusion_matrix c(3);
    add_batch1(c);
    c.merge(b2.counts());
    EXPECT_TENSOR_NEAR(c.counts(), m.counts(), 0.0, 0.0);
    b1.reset();
    EXPECT_EQ(b1.total(), 0);
    EXPECT_TRUE(std::isnan(b1.pixel_accuracy()));
}

TEST(Metrics, AClassAbsentFromPredictionAndTargetIsNaNAndLeftOutOfTheMean)
{
    confusion_matrix m(4);
    add_batch1(m);
    add_batch2(m);
    const auto iou = m.iou().to_vector();
    EXPECT_TRUE(std::isnan(iou[3]));
    EXPECT_TRUE(std::isnan(m.dice().to_vector()[3]));
    EXPECT_NEAR(m.mean_iou(), 5.0 / 9.0, 1e-15);
    // A class only predicted (never a target) is defined: IoU 0.
    m.update(labels({3}), labels({0}));
    EXPECT_DOUBLE_EQ(m.iou().to_vector()[3], 0.0);
    EXPECT_TRUE(std::isnan(confusion_matrix(2).mean_iou()));
}

TEST(Metrics, BinaryHelpersThresholdLogitsAndProbabilities)
{
    const Tensor logits = tensor({-1.0, 0.0, 0.5, 3.0});
    EXPECT_TENSOR_NEAR(binary_predictions_from_logits(logits), labels({0, 0, 1, 1}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(binary_predictions_from_logits(logits, 1.0), labels({0, 0, 0, 1}), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(binary_predictions_from_probabilities(tensor({0.2, 0.5, 0.7})), labels({0, 0, 1}), 0.0, 0.0);
    // Logit 0 and probability 0.5 agree, on the graph or off it.
    Tensor x = tensor({{-2.0, 0.25}, {0.0, 1.0}}, float64).requires_grad_();
    EXPECT_TENSOR_NEAR(binary_predictions_from_logits(x), binary_predictions_from_probabilities(sigmoid(x)), 0.0, 0.0);
    confusion_matrix m(2);
    m.update(binary_predictions_from_logits(x), labels({{0, 1}, {1, 1}}));
    EXPECT_TENSOR_NEAR(m.counts(), labels({{1, 0}, {1, 2}}), 0.0, 0.0);
}

TEST(MetricsErrors, Messages)
{
    confusion_matrix m(3);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.update: pred and target must be int64 class indices, got float32 and int64; "
                         "take argmax(logits, 1) or binary_predictions_from_logits first",
                         m.update(zeros({2}), labels({0, 1})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.update: pred size (2,) must be the same as target size (1, 2)",
                         m.update(labels({0, 1}), labels({{0, 1}})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.update: target 3 is out of bounds for 3 classes at position (1, 0)",
                         m.update(labels({{0, 1}, {2, 2}}), labels({{0, 1}, {3, 2}})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.update: prediction -1 is out of bounds for 3 classes at position (1,)",
                         m.update(labels({0, -1}), labels({0, 1})));
    EXPECT_EQ(m.total(), 0);   // a rejected batch counts nothing
    EXPECT_THROW_MESSAGE(std::invalid_argument, "confusion_matrix.merge: both must count the same classes, got 3 and 2",
                         m.merge(confusion_matrix(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.merge: counts must be int64 of shape (3, 3), got int64 (2, 2)",
                         m.merge(labels({{1, 0}, {0, 1}})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "confusion_matrix.merge: counts must not be negative, got -1 at flat index 4",
                         m.merge(labels({{0, 0, 0}, {0, -1, 0}, {0, 0, 0}})));
    EXPECT_EQ(m.total(), 0);   // rejected counts add nothing
    EXPECT_THROW_MESSAGE(std::invalid_argument, "confusion_matrix: num_classes must be >= 1, got 0", confusion_matrix(0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "binary_predictions_from_logits: expected a float32 or float64 tensor, got int64",
                         binary_predictions_from_logits(labels({1})));
}
