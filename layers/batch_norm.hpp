// BatchNorm2d: torch.nn.BatchNorm2d over autograd's batch_norm. Parameters weight (ones) and
// bias (zeros) with affine(true); buffers running_mean (zeros), running_var (ones) and
// num_batches_tracked (int64, 0-d, +1 per training forward) with track_running_stats(true),
// under PyTorch's state_dict keys. Training normalises with the batch statistics and updates
// the running ones; eval uses the running ones, or, without track_running_stats, the batch's
// (PyTorch's rule). momentum(std::nullopt) is PyTorch's momentum=None: a cumulative average.
// Input must be [N, C, H, W]; no unbatched form (as torch).
#pragma once
#include <adjoint/autograd/batch_norm.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace adjoint
{
    // BatchNorm2dOptions(16).eps(1e-3).momentum(std::nullopt).affine(false).track_running_stats(false)
    class BatchNorm2dOptions
    {
    public:
        BatchNorm2dOptions(std::int64_t num_features) : m_num_features(num_features) {}
        BatchNorm2dOptions& eps(double v) { m_eps = v; return *this; }
        BatchNorm2dOptions& momentum(std::optional<double> v) { m_momentum = v; return *this; }
        BatchNorm2dOptions& affine(bool on) { m_affine = on; return *this; }
        BatchNorm2dOptions& track_running_stats(bool on) { m_track_running_stats = on; return *this; }

        std::int64_t num_features() const { return m_num_features; }
        double eps() const { return m_eps; }
        std::optional<double> momentum() const { return m_momentum; }
        bool affine() const { return m_affine; }
        bool track_running_stats() const { return m_track_running_stats; }

    private:
        std::int64_t m_num_features;
        double m_eps = 1e-5;
        std::optional<double> m_momentum = 0.1;
        bool m_affine = true;
        bool m_track_running_stats = true;
    };

    // What BatchNorm2d and distributed::SyncBatchNorm share, as PyTorch's _BatchNorm: the
    // options, the parameters and buffers under PyTorch's state_dict keys, the two resets and
    // the printed options. Each subclass brings its own forward (and clone).
    class BatchNormBase : public Module
    {
    public:
        std::string extra_repr() const override;   // "16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"

        const BatchNorm2dOptions& options() const { return m_options; }
        // Undefined when switched off (affine(false) / track_running_stats(false)).
        Tensor weight() const { return m_weight; }
        Tensor bias() const { return m_bias; }
        Tensor running_mean() const { return m_running_mean; }
        Tensor running_var() const { return m_running_var; }
        Tensor num_batches_tracked() const { return m_num_batches_tracked; }

        void reset_running_stats();   // zeros, ones, count 0
        void reset_parameters();      // reset_running_stats, then weight ones and bias zeros

    protected:
        // Registers the parameters and buffers; std::invalid_argument naming `layer` for
        // num_features < 1.
        BatchNormBase(const BatchNorm2dOptions& options, const char* layer);

        BatchNorm2dOptions m_options;
        Tensor m_weight, m_bias, m_running_mean, m_running_var, m_num_batches_tracked;
    };

    class BatchNorm2d : public BatchNormBase
    {
    public:
        explicit BatchNorm2d(const BatchNorm2dOptions& options);   // std::invalid_argument for num_features < 1

        Tensor forward(const Tensor& x);   // x: [N, C, H, W] with C = num_features
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override;
    };
}
