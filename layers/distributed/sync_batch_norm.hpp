// SyncBatchNorm: torch.nn.SyncBatchNorm over a process_group. In training every rank
// normalises with the statistics of the GLOBAL batch (the union of the ranks' batches): the
// per-channel sum and sum of squares and the value count are all-reduced (one MPI_Allreduce
// of 2C + 1 doubles), and the backward all-reduces the per-channel sums of dy and dy * x-hat
// (2C doubles), so the input gradient is that of one process holding the whole batch. The
// running statistics are updated on every rank with the global mean and the global UNBIASED
// variance, so they stay equal across ranks. Eval uses the running statistics (or, without
// track_running_stats, the rank's own batch, as PyTorch) and never communicates.
//
// Parameters, buffers, resets and printing are BatchNormBase's, as BatchNorm2d's, under the
// same state_dict keys (weight, bias, running_mean, running_var, num_batches_tracked): a model
// can swap BatchNorm2d and SyncBatchNorm and load the same checkpoint. The options are
// BatchNorm2dOptions.
//
// Gradients: as PyTorch, rank r's input gradient is d(sum over ranks of the losses)/dx_r,
// and weight / bias get the rank's own sums (DistributedDataParallel then averages them).
// Not here: double backward (create_graph through the all-reduce throws std::logic_error),
// sub-groups, converting a BatchNorm2d that a module calls through its own member
// (convert_sync_batchnorm refuses it). Every rank must run each SyncBatchNorm's forward
// in training, and its backward, in the same order (they are collectives).
#pragma once
#include <adjoint/layers/batch_norm.hpp>
#include <adjoint/layers/distributed/process_group.hpp>
#include <adjoint/layers/module.hpp>

#include <memory>
#include <string>

namespace adjoint::distributed
{
    class SyncBatchNorm : public BatchNormBase
    {
    public:
        // `group` must outlive the layer (and its clones). std::invalid_argument for
        // num_features < 1.
        SyncBatchNorm(const BatchNorm2dOptions& options, const process_group& group);

        // x: [N, C, ...] (at least 2-d) with C = num_features; N may differ between ranks.
        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override;

        const process_group& group() const { return *m_group; }

    private:
        Tensor synced_forward(const Tensor& x);

        const process_group* m_group;
    };

    // torch.nn.SyncBatchNorm.convert_sync_batchnorm: every BatchNorm2d in `model` becomes a
    // SyncBatchNorm over `group` with its options, values (parameters, running statistics,
    // count; dtype and requires_grad), and training mode; a layer reachable twice stays one
    // shared layer. Returns the model, or the new layer when `model` is a BatchNorm2d. The
    // parameters are new tensors: convert before building the optimizer and
    // DistributedDataParallel. Every BatchNorm2d must sit in a Sequential, which calls its
    // children through the registry; one in any other module (which would go on calling it
    // through its own member) makes it throw std::invalid_argument naming the layer's path,
    // before anything is converted.
    std::shared_ptr<Module> convert_sync_batchnorm(std::shared_ptr<Module> model, const process_group& group);
}
