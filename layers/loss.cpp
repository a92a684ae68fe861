// Loss modules (see loss.hpp): option checks at construction, weight buffers, extra_repr
// and clone. forward is the functional call under guarded(), nothing more.
#include <adjoint/layers/loss.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // The module's own copy of a weight, registered as a buffer under PyTorch's name when given.
        Tensor weight_buffer(const Tensor& w)
        {
            return w.defined() ? Tensor(w.data().clone()) : Tensor();
        }

        // ", name=value" pieces of the options that differ from the defaults, joined.
        std::string join(const std::string& a, const std::string& b)
        {
            return a.empty() ? b : (b.empty() ? a : a + ", " + b);
        }

        std::string reduction_repr(reduction r)
        {
            return r == reduction::mean ? "" : "reduction=" + reduction_name(r);
        }

        void require(bool ok, const std::string& message)
        {
            if (!ok)
            {
                throw std::invalid_argument(message);
            }
        }
    }

    Tensor MSELoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return mse_loss(input, target, m_options.reduction()); });
    }
    std::string MSELoss::extra_repr() const { return reduction_repr(m_options.reduction()); }
    std::shared_ptr<Module> MSELoss::clone() const { return clone_into(*this, std::make_shared<MSELoss>(m_options)); }

    Tensor L1Loss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return l1_loss(input, target, m_options.reduction()); });
    }
    std::string L1Loss::extra_repr() const { return reduction_repr(m_options.reduction()); }
    std::shared_ptr<Module> L1Loss::clone() const { return clone_into(*this, std::make_shared<L1Loss>(m_options)); }

    SmoothL1Loss::SmoothL1Loss(const SmoothL1LossOptions& options) : m_options(options)
    {
        require(options.beta() >= 0.0, detail::str("SmoothL1Loss: beta must be >= 0, got ", options.beta()));
    }
    Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return smooth_l1_loss(input, target, m_options.reduction(), m_options.beta()); });
    }
    std::string SmoothL1Loss::extra_repr() const
    {
        return join(reduction_repr(m_options.reduction()),
                    m_options.beta() == 1.0 ? "" : detail::str("beta=", m_options.beta()));
    }
    std::shared_ptr<Module> SmoothL1Loss::clone() const
    {
        return clone_into(*this, std::make_shared<SmoothL1Loss>(m_options));
    }

    HuberLoss::HuberLoss(const HuberLossOptions& options) : m_options(options)
    {
        require(options.delta() > 0.0, detail::str("HuberLoss: delta must be > 0, got ", options.delta()));
    }
    Tensor HuberLoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return huber_loss(input, target, m_options.reduction(), m_options.delta()); });
    }
    std::string HuberLoss::extra_repr() const
    {
        return join(reduction_repr(m_options.reduction()),
                    m_options.delta() == 1.0 ? "" : detail::str("delta=", m_options.delta()));
    }
    std::shared_ptr<Module> HuberLoss::clone() const { return clone_into(*this, std::make_shared<HuberLoss>(m_options)); }

    BCELoss::BCELoss(const BCELossOptions& options) : m_options(options)
    {
        if (options.weight().defined())
        {
            m_weight = register_buffer("weight", weight_buffer(options.weight()));
        }
    }
    Tensor BCELoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return binary_cross_entropy(input, target, m_weight, m_options.reduction()); });
    }
    std::string BCELoss::extra_repr() const { return reduction_repr(m_options.reduction()); }
    std::shared_ptr<Module> BCELoss::clone() const { return clone_into(*this, std::make_shared<BCELoss>(m_options)); }

    BCEWithLogitsLoss::BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options) : m_options(options)
    {
        if (options.weight().defined())
        {
            m_weight = register_buffer("weight", weight_buffer(options.weight()));
        }
        if (options.pos_weight().defined())
        {
            m_pos_weight = register_buffer("pos_weight", weight_buffer(options.pos_weight()));
        }
    }
    Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] {
            return binary_cross_entropy_with_logits(input, target, m_weight, m_pos_weight, m_options.reduction());
        });
    }
    std::string BCEWithLogitsLoss::extra_repr() const { return reduction_repr(m_options.reduction()); }
    std::shared_ptr<Module> BCEWithLogitsLoss::clone() const
    {
        return clone_into(*this, std::make_shared<BCEWithLogitsLoss>(m_options));
    }

    NLLLoss::NLLLoss(const NLLLossOptions& options) : m_options(options)
    {
        if (options.weight().defined())
        {
            m_weight = register_buffer("weight", weight_buffer(options.weight()));
        }
    }
    Tensor NLLLoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] {
            return nll_loss(input, target, m_weight, m_options.ignore_index(), m_options.reduction());
        });
    }
    std::string NLLLoss::extra_repr() const
    {
        return join(reduction_repr(m_options.reduction()),
                    m_options.ignore_index() == -100 ? "" : detail::str("ignore_index=", m_options.ignore_index()));
    }
    std::shared_ptr<Module> NLLLoss::clone() const { return clone_into(*this, std::make_shared<NLLLoss>(m_options)); }

    CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions& options) : m_options(options)
    {
        const double e = options.label_smoothing();
        require(e >= 0.0 && e <= 1.0, detail::str("CrossEntropyLoss: label_smoothing must be in [0, 1], got ", e));
        if (options.weight().defined())
        {
            m_weight = register_buffer("weight", weight_buffer(options.weight()));
        }
    }
    Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] {
            // The buffer, not the options' tensor: to(dtype) and load_state_dict act on the buffer.
            return cross_entropy(input, target, cross_entropy_options(m_options).weight(m_weight));
        });
    }
    std::string CrossEntropyLoss::extra_repr() const
    {
        std::string r = reduction_repr(m_options.reduction());
        r = join(r, m_options.ignore_index() == -100 ? "" : detail::str("ignore_index=", m_options.ignore_index()));
        return join(r, m_options.label_smoothing() == 0.0 ? ""
                                                          : detail::str("label_smoothing=", m_options.label_smoothing()));
    }
    std::shared_ptr<Module> CrossEntropyLoss::clone() const
    {
        return clone_into(*this, std::make_shared<CrossEntropyLoss>(m_options));
    }

    DiceLoss::DiceLoss(const DiceLossOptions& options) : m_options(options)
    {
        require(options.smooth() >= 0.0, detail::str("DiceLoss: smooth must be >= 0, got ", options.smooth()));
    }
    Tensor DiceLoss::forward(const Tensor& input, const Tensor& target)
    {
        return guarded([&] { return dice_loss(input, target, m_options); });
    }
    std::string DiceLoss::extra_repr() const
    {
        return join(detail::str("smooth=", m_options.smooth()), reduction_repr(m_options.reduction()));
    }
    std::shared_ptr<Module> DiceLoss::clone() const { return clone_into(*this, std::make_shared<DiceLoss>(m_options)); }
}
