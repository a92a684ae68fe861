// confusion_matrix and the binary thresholding helpers (see metrics.hpp). Plain loops over
// int64 buffers; nothing here is recorded in a graph.
#include <adjoint/autograd/ops.hpp>
#include <adjoint/layers/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace adjoint
{
    namespace
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();

        std::string position_str(std::int64_t flat, const shape_t& shape) { return shape_str(unravel_index(flat, shape)); }

        double mean_of_defined(const Tensor& scores)
        {
            double total = 0.0;
            std::int64_t defined = 0;
            for (double v : scores.to_vector())
            {
                if (!std::isnan(v))
                {
                    total += v;
                    ++defined;
                }
            }
            return defined == 0 ? nan : total / static_cast<double>(defined);
        }

        Tensor threshold_floating(const char* op, const Tensor& x, double threshold)
        {
            if (x.dtype() == int64)
            {
                throw std::invalid_argument(detail::str(op, ": expected a float32 or float64 tensor, got int64"));
            }
            no_grad_guard off;
            return gt(x.detach(), threshold).to(int64);
        }
    }

    confusion_matrix::confusion_matrix(std::int64_t num_classes) : m_classes(num_classes)
    {
        if (num_classes < 1)
        {
            throw std::invalid_argument(detail::str("confusion_matrix: num_classes must be >= 1, got ", num_classes));
        }
        m_counts.assign(static_cast<std::size_t>(num_classes * num_classes), 0);
    }

    void confusion_matrix::update(const Tensor& pred, const Tensor& target, std::optional<std::int64_t> ignore_index)
    {
        const char* op = "confusion_matrix.update";
        if (pred.dtype() != int64 || target.dtype() != int64)
        {
            throw std::invalid_argument(detail::str(op, ": pred and target must be int64 class indices, got ",
                                                    dtype_name(pred.dtype()), " and ", dtype_name(target.dtype()),
                                                    "; take argmax(logits, 1) or binary_predictions_from_logits first"));
        }
        if (pred.shape() != target.shape())
        {
            throw std::invalid_argument(detail::str(op, ": pred size ", shape_str(pred.shape()),
                                                    " must be the same as target size ", shape_str(target.shape())));
        }
        const std::int64_t* p = pred.data().data<std::int64_t>();
        const std::int64_t* t = target.data().data<std::int64_t>();
        // Validate everything before counting anything, so a bad batch leaves the counts untouched.
        for (std::int64_t i = 0; i < target.numel(); ++i)
        {
            if (ignore_index && t[i] == *ignore_index)
            {
                continue;
            }
            for (auto [name, v] : {std::pair<const char*, std::int64_t>{"target", t[i]}, {"prediction", p[i]}})
            {
                if (v < 0 || v >= m_classes)
                {
                    throw std::invalid_argument(detail::str(op, ": ", name, " ", v, " is out of bounds for ", m_classes,
                                                            " classes at position ", position_str(i, target.shape())));
                }
            }
        }
        for (std::int64_t i = 0; i < target.numel(); ++i)
        {
            if (!(ignore_index && t[i] == *ignore_index))
            {
                ++m_counts[static_cast<std::size_t>(t[i] * m_classes + p[i])];
            }
        }
    }

    void confusion_matrix::merge(const confusion_matrix& other)
    {
        if (other.m_classes != m_classes)
        {
            throw std::invalid_argument(detail::str("confusion_matrix.merge: both must count the same classes, got ",
                                                    m_classes, " and ", other.m_classes));
        }
        for (std::size_t i = 0; i < m_counts.size(); ++i)
        {
            m_counts[i] += other.m_counts[i];
        }
    }

    void confusion_matrix::merge(const Tensor& counts)
    {
        const shape_t expected{m_classes, m_classes};
        if (!counts.defined() || counts.dtype() != int64 || counts.shape() != expected)
        {
            throw std::invalid_argument(detail::str(
                "confusion_matrix.merge: counts must be int64 of shape ", shape_str(expected), ", got ",
                counts.defined() ? dtype_name(counts.dtype()) : "undefined", " ",
                counts.defined() ? shape_str(counts.shape()) : ""));
        }
        const std::int64_t* c = counts.data().data<std::int64_t>();
        for (std::size_t i = 0; i < m_counts.size(); ++i)
        {
            if (c[i] < 0)
            {
                throw std::invalid_argument(
                    detail::str("confusion_matrix.merge: counts must not be negative, got ", c[i], " at flat index ", i));
            }
        }
        for (std::size_t i = 0; i < m_counts.size(); ++i)
        {
            m_counts[i] += c[i];
        }
    }

    void confusion_matrix::reset() { std::fill(m_counts.begin(), m_counts.end(), 0); }

    Tensor confusion_matrix::counts() const
    {
        array out = array::empty({m_classes, m_classes}, int64);
        std::copy(m_counts.begin(), m_counts.end(), out.data<std::int64_t>());
        return Tensor(out);
    }

    std::int64_t confusion_matrix::total() const
    {
        std::int64_t n = 0;
        for (auto c : m_counts)
        {
            n += c;
        }
        return n;
    }

    namespace
    {
        // Per class: TP, and FP + FN (the off-diagonal entries of its column and row).
        struct class_counts
        {
            std::vector<double> tp, errors;
        };

        class_counts per_class(const std::vector<std::int64_t>& m, std::int64_t c)
        {
            class_counts out{std::vector<double>(static_cast<std::size_t>(c)), std::vector<double>(static_cast<std::size_t>(c))};
            for (std::int64_t k = 0; k < c; ++k)
            {
                std::int64_t row = 0, column = 0;
                for (std::int64_t j = 0; j < c; ++j)
                {
                    row += m[static_cast<std::size_t>(k * c + j)];
                    column += m[static_cast<std::size_t>(j * c + k)];
                }
                const std::int64_t tp = m[static_cast<std::size_t>(k * c + k)];
                out.tp[static_cast<std::size_t>(k)] = static_cast<double>(tp);
                out.errors[static_cast<std::size_t>(k)] = static_cast<double>(row + column - 2 * tp);
            }
            return out;
        }

        // (tp_factor TP) / (tp_factor TP + FP + FN), NaN where the denominator is 0.
        Tensor ratio(const class_counts& k, double tp_factor)
        {
            std::vector<double> out(k.tp.size());
            for (std::size_t i = 0; i < out.size(); ++i)
            {
                const double denominator = tp_factor * k.tp[i] + k.errors[i];
                out[i] = denominator == 0.0 ? nan : tp_factor * k.tp[i] / denominator;
            }
            return from_vector(out, {static_cast<std::int64_t>(out.size())}, float64);
        }
    }

    Tensor confusion_matrix::iou() const { return ratio(per_class(m_counts, m_classes), 1.0); }
    Tensor confusion_matrix::dice() const { return ratio(per_class(m_counts, m_classes), 2.0); }
    double confusion_matrix::mean_iou() const { return mean_of_defined(iou()); }
    double confusion_matrix::mean_dice() const { return mean_of_defined(dice()); }

    double confusion_matrix::pixel_accuracy() const
    {
        std::int64_t correct = 0;
        for (std::int64_t k = 0; k < m_classes; ++k)
        {
            correct += m_counts[static_cast<std::size_t>(k * m_classes + k)];
        }
        const std::int64_t n = total();
        return n == 0 ? nan : static_cast<double>(correct) / static_cast<double>(n);
    }

    Tensor binary_predictions_from_logits(const Tensor& logits, double threshold)
    {
        return threshold_floating("binary_predictions_from_logits", logits, threshold);
    }

    Tensor binary_predictions_from_probabilities(const Tensor& probabilities, double threshold)
    {
        return threshold_floating("binary_predictions_from_probabilities", probabilities, threshold);
    }
}
