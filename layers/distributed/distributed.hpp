// The adjoint::distributed component in one include: MPI environment and process group,
// DistributedDataParallel, DistributedSampler and the cross-rank metric reductions. Link
// adjoint::distributed (find_package(adjoint COMPONENTS distributed)) and launch with
// mpirun; see docs/distributed.md. Deliberately not reached from <adjoint/adjoint.hpp>: the
// core library never needs MPI.
#pragma once
#include <adjoint/layers/distributed/data_parallel.hpp>
#include <adjoint/layers/distributed/metrics.hpp>
#include <adjoint/layers/distributed/process_group.hpp>
#include <adjoint/layers/distributed/sampler.hpp>
