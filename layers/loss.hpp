// Loss modules, as torch.nn's: BCEWithLogitsLoss, BCELoss, CrossEntropyLoss, NLLLoss,
// MSELoss, L1Loss, SmoothL1Loss, HuberLoss and DiceLoss (not in PyTorch). Each holds its
// options, checks them when built, and forward(input, target) calls the functional loss in
// autograd/loss.hpp, where the maths, the target checks and the formulas are. Class weights
// are buffers named as PyTorch's (`weight`, `pos_weight`; only when given): the module keeps
// its own copy, so to(dtype), state_dict and clone treat them like any buffer. extra_repr
// lists the options that differ from the defaults, so a default loss prints as PyTorch's
// ("CrossEntropyLoss()").
#pragma once
#include <adjoint/autograd/loss.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace adjoint
{
    // Options of the losses with only a reduction: MSELossOptions().reduction(reduction::sum).
    class ReductionLossOptions
    {
    public:
        ReductionLossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };
    using MSELossOptions = ReductionLossOptions;
    using L1LossOptions = ReductionLossOptions;

    class SmoothL1LossOptions
    {
    public:
        SmoothL1LossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        SmoothL1LossOptions& beta(double b) { m_beta = b; return *this; }   // >= 0
        adjoint::reduction reduction() const { return m_reduction; }
        double beta() const { return m_beta; }

    private:
        adjoint::reduction m_reduction = adjoint::reduction::mean;
        double m_beta = 1.0;
    };

    class HuberLossOptions
    {
    public:
        HuberLossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        HuberLossOptions& delta(double d) { m_delta = d; return *this; }   // > 0
        adjoint::reduction reduction() const { return m_reduction; }
        double delta() const { return m_delta; }

    private:
        adjoint::reduction m_reduction = adjoint::reduction::mean;
        double m_delta = 1.0;
    };

    class BCELossOptions
    {
    public:
        BCELossOptions& weight(const Tensor& w) { m_weight = w; return *this; }   // broadcasts to the input
        BCELossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        const Tensor& weight() const { return m_weight; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        Tensor m_weight;
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };

    class BCEWithLogitsLossOptions
    {
    public:
        BCEWithLogitsLossOptions& weight(const Tensor& w) { m_weight = w; return *this; }
        BCEWithLogitsLossOptions& pos_weight(const Tensor& w) { m_pos_weight = w; return *this; }   // one per class
        BCEWithLogitsLossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        const Tensor& weight() const { return m_weight; }
        const Tensor& pos_weight() const { return m_pos_weight; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        Tensor m_weight, m_pos_weight;
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };

    class NLLLossOptions
    {
    public:
        NLLLossOptions& weight(const Tensor& w) { m_weight = w; return *this; }   // one per class
        NLLLossOptions& ignore_index(std::int64_t i) { m_ignore_index = i; return *this; }
        NLLLossOptions& reduction(adjoint::reduction r) { m_reduction = r; return *this; }
        const Tensor& weight() const { return m_weight; }
        std::int64_t ignore_index() const { return m_ignore_index; }
        adjoint::reduction reduction() const { return m_reduction; }

    private:
        Tensor m_weight;
        std::int64_t m_ignore_index = -100;
        adjoint::reduction m_reduction = adjoint::reduction::mean;
    };

    // The functional options serve the modules as they are: weight, ignore_index,
    // label_smoothing, reduction; smooth, reduction.
    using CrossEntropyLossOptions = cross_entropy_options;
    using DiceLossOptions = dice_loss_options;

    // The modules. forward(input, target) is the functional call with the module's options
    // and buffers; errors name the layer when it sits inside a model.
    class MSELoss : public Module
    {
    public:
        explicit MSELoss(const MSELossOptions& options = {}) : m_options(options) {}
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const MSELossOptions& options() const { return m_options; }

    private:
        MSELossOptions m_options;
    };

    class L1Loss : public Module
    {
    public:
        explicit L1Loss(const L1LossOptions& options = {}) : m_options(options) {}
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const L1LossOptions& options() const { return m_options; }

    private:
        L1LossOptions m_options;
    };

    class SmoothL1Loss : public Module
    {
    public:
        explicit SmoothL1Loss(const SmoothL1LossOptions& options = {});   // beta >= 0
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const SmoothL1LossOptions& options() const { return m_options; }

    private:
        SmoothL1LossOptions m_options;
    };

    class HuberLoss : public Module
    {
    public:
        explicit HuberLoss(const HuberLossOptions& options = {});   // delta > 0
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const HuberLossOptions& options() const { return m_options; }

    private:
        HuberLossOptions m_options;
    };

    class BCELoss : public Module
    {
    public:
        explicit BCELoss(const BCELossOptions& options = {});
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const BCELossOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }   // the buffer; undefined when not given

    private:
        BCELossOptions m_options;
        Tensor m_weight;
    };

    class BCEWithLogitsLoss : public Module
    {
    public:
        explicit BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options = {});
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const BCEWithLogitsLossOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }
        Tensor pos_weight() const { return m_pos_weight; }

    private:
        BCEWithLogitsLossOptions m_options;
        Tensor m_weight, m_pos_weight;
    };

    class NLLLoss : public Module
    {
    public:
        explicit NLLLoss(const NLLLossOptions& options = {});
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const NLLLossOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }

    private:
        NLLLossOptions m_options;
        Tensor m_weight;
    };

    class CrossEntropyLoss : public Module
    {
    public:
        explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {});   // label_smoothing in [0, 1]
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const CrossEntropyLossOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }

    private:
        CrossEntropyLossOptions m_options;
        Tensor m_weight;
    };

    class DiceLoss : public Module
    {
    public:
        explicit DiceLoss(const DiceLossOptions& options = {});   // smooth >= 0
        Tensor forward(const Tensor& input, const Tensor& target);
        Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const DiceLossOptions& options() const { return m_options; }

    private:
        DiceLossOptions m_options;
    };
}
