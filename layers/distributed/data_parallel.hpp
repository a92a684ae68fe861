// DistributedDataParallel: data-parallel training of one model replica per rank, as
// torch.nn.parallel.DistributedDataParallel. At construction it checks that every rank
// holds the same parameters and buffers (names, dtypes, shapes; a mismatch is named) and
// copies rank 0's values to all. During each backward pass it averages the gradients over
// the ranks in buckets: a hook on each parameter's gradient accumulation
// (Tensor::register_grad_accumulated_hook) marks it ready, and as soon as every gradient
// of a bucket is in, the bucket's sum starts as a non-blocking MPI_Iallreduce while the
// backward pass computes the next gradients. finish_gradient_sync(), called between
// backward() and optimizer.step(), waits for the buckets and writes the averages into .grad.
//
//   DistributedDataParallel ddp(model, group);
//   loss.backward();
//   ddp.finish_gradient_sync();   // every rank now has the same averaged gradients
//   optimizer.step();
//
// Buckets hold consecutive parameters of one dtype in reverse registration order (the order
// backward usually produces their gradients), up to bucket_cap_mb each; they are started in
// that order on every rank, which keeps the ranks' collectives matched even if gradients
// arrive in a different order. A parameter that gets no gradient in a pass (unused) has its
// bucket started by finish_gradient_sync with zeros for it. The module is not wrapped:
// call its forward as usual. Not here: buffers kept in sync during training (BatchNorm's
// running statistics stay per rank; sync_buffers() copies rank 0's on request), several
// models per rank, uneven inputs across ranks (every rank must run the same number of
// backward passes).
#pragma once
#include <adjoint/layers/distributed/process_group.hpp>
#include <adjoint/layers/module.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace adjoint::distributed
{
    class DistributedDataParallelOptions
    {
    public:
        // Bytes of gradient per bucket, in MiB (PyTorch's default 25). Smaller buckets start
        // communicating earlier; larger ones send fewer, bigger messages.
        DistributedDataParallelOptions& bucket_cap_mb(double mb) { m_bucket_cap_mb = mb; return *this; }
        // Copy rank 0's buffers at construction too (parameters are always copied).
        DistributedDataParallelOptions& broadcast_buffers(bool on) { m_broadcast_buffers = on; return *this; }
        double bucket_cap_mb() const { return m_bucket_cap_mb; }
        bool broadcast_buffers() const { return m_broadcast_buffers; }

    private:
        double m_bucket_cap_mb = 25.0;
        bool m_broadcast_buffers = true;
    };

    class DistributedDataParallel
    {
    public:
        // A collective: every rank constructs it with its replica at the same point. Throws
        // std::invalid_argument on every rank when the replicas differ, naming the first
        // difference ("parameter 'conv.weight' is float64 (16, 3, 3, 3) on rank 1 but ...").
        // `module` and `group` must outlive this object; the hooks it installs are removed
        // by its destructor.
        DistributedDataParallel(Module& module, const process_group& group,
                                const DistributedDataParallelOptions& options = DistributedDataParallelOptions());
        ~DistributedDataParallel();
        DistributedDataParallel(const DistributedDataParallel&) = delete;
        DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

        Module& module() { return m_module; }
        const process_group& group() const { return m_group; }

        // Waits for the buckets in flight, starts any not yet started (their parameters got
        // no gradient in this pass), and sets every parameter's .grad to the mean over ranks
        // (a new tensor: a .grad held elsewhere is not written to). Does nothing when no
        // gradient arrived since the last call (e.g. every backward ran under no_sync()).
        void finish_gradient_sync();
        bool sync_pending() const { return m_round_started; }

        // While the returned guard lives, backward passes only accumulate into .grad locally
        // (no communication): gradient accumulation over several micro-batches. The first
        // backward after it averages everything accumulated since the last sync.
        class no_sync_guard
        {
        public:
            explicit no_sync_guard(DistributedDataParallel& ddp) : m_ddp(ddp), m_previous(ddp.m_sync_enabled)
            {
                ddp.m_sync_enabled = false;
            }
            ~no_sync_guard() { m_ddp.m_sync_enabled = m_previous; }
            no_sync_guard(const no_sync_guard&) = delete;
            no_sync_guard& operator=(const no_sync_guard&) = delete;

        private:
            DistributedDataParallel& m_ddp;
            bool m_previous;
        };
        no_sync_guard no_sync() { return no_sync_guard(*this); }

        // Copies rank 0's buffers (e.g. BatchNorm running statistics) to every rank: a
        // collective, e.g. before evaluating or saving.
        void sync_buffers();

        // The bucket layout, for tests and tuning: parameter names per bucket, in launch order.
        std::vector<std::vector<std::string>> bucket_parameter_names() const;

    private:
        struct bucket
        {
            std::vector<std::size_t> params;     // indices into m_params
            std::vector<std::int64_t> offsets;   // element offset of each in `flat`
            std::int64_t numel = 0;
            adjoint::dtype dtype = float32;
            array flat;                           // the gradients, summed in place by MPI
            std::size_t waiting = 0;              // gradients not yet ready in this round
            bool launched = false;
            pending_collective work;
        };

        void check_replicas_match();
        void on_grad_ready(std::size_t param);
        void launch_ready_buckets();
        void launch(bucket& b);
        void reset_round();

        Module& m_module;
        const process_group& m_group;
        DistributedDataParallelOptions m_options;
        named_tensors m_params;                      // those that require grad, registration order
        std::vector<std::size_t> m_hook_handles;
        std::vector<std::size_t> m_bucket_of;        // parameter index -> bucket index
        std::vector<bucket> m_buckets;
        std::vector<bool> m_ready;                   // per parameter, in this round
        std::size_t m_next_launch = 0;               // buckets start strictly in order
        bool m_round_started = false;
        bool m_sync_enabled = true;
    };
}
