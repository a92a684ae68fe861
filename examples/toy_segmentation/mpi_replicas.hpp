// toy_segmentation's replicas over MPI (adjoint::distributed): one rank per process under
// mpirun, rank 0's weights copied to all at the start, gradients averaged after every
// backward by DistributedDataParallel (bucketed, overlapping the backward pass), metrics
// summed over the ranks. Built only when the distributed component is (MPI found); main.cpp
// uses it for --distributed. Not here: the training loop itself (training.cpp).
#pragma once
#include "training.hpp"

#include <adjoint/layers/distributed/distributed.hpp>

#include <memory>

namespace adjoint::examples
{
    class mpi_replicas final : public replicas
    {
    public:
        // Needs an active mpi_environment; `group` must outlive this object.
        explicit mpi_replicas(const distributed::process_group& group) : m_group(group) {}
        int rank() const override { return m_group.rank(); }
        int size() const override { return m_group.size(); }
        void attach(Module& model) override;
        void average_gradients() override;
        void sync_buffers() override;
        void sum(double& total, std::int64_t& count) const override;
        void sum(confusion_matrix& m) const override;

    private:
        const distributed::process_group& m_group;
        std::unique_ptr<distributed::DistributedDataParallel> m_ddp;
    };
}
