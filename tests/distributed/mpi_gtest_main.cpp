// main() of the distributed test suites: GoogleTest inside an mpi_environment, so every
// rank runs every case and an uncaught exception on one rank aborts the job instead of
// leaving the other waiting. A rank's failures are printed by that rank.
#include <adjoint/layers/distributed/process_group.hpp>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    adjoint::distributed::mpi_environment env(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
