// The installed adjoint::distributed component, used as a program would: an MPI
// environment, a process group (a world of one when started without mpirun), a collective
// and the sampler. Exits non-zero on a wrong result.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>

#include <iostream>

int main(int argc, char** argv)
{
    namespace dist = adjoint::distributed;
    dist::mpi_environment env(argc, argv);
    dist::process_group group;
    adjoint::Tensor t = adjoint::full({3}, 2.0, adjoint::float64);
    group.all_reduce(t, dist::reduce_op::average);
    dist::DistributedSampler sampler(10, group.size(), group.rank());
    const bool ok = t.to_vector()[2] == 2.0 && sampler.num_samples() * group.size() >= 10 && dist::is_main_process() == (group.rank() == 0);
    std::cout << "distributed_consumer: rank " << group.rank() << " of " << group.size() << (ok ? ": ok\n" : ": WRONG\n");
    return ok ? 0 : 1;
}
