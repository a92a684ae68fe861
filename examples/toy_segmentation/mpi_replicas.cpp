// The MPI side of toy_segmentation --distributed (see mpi_replicas.hpp).
#include "mpi_replicas.hpp"

#include <stdexcept>

namespace adjoint::examples
{
    void mpi_replicas::attach(Module& model)
    {
        // Checks that the ranks built the same model and copies rank 0's parameters and buffers.
        m_ddp = std::make_unique<distributed::DistributedDataParallel>(model, m_group);
    }

    void mpi_replicas::average_gradients()
    {
        if (!m_ddp)
        {
            throw std::logic_error("mpi_replicas: average_gradients before attach");
        }
        m_ddp->finish_gradient_sync();
    }

    void mpi_replicas::sync_buffers()
    {
        if (m_ddp)
        {
            m_ddp->sync_buffers();
        }
    }

    void mpi_replicas::sum(double& total, std::int64_t& count) const
    {
        const distributed::reduced_sum s = distributed::all_reduce_sum(m_group, total, count);
        total = s.total;
        count = s.count;
    }

    void mpi_replicas::sum(confusion_matrix& m) const { distributed::all_reduce(m_group, m); }
}
