// A two-rank job in which rank 1 fails while rank 0 waits for it in a collective, the way a
// real training run fails: `fault_rank throw` (an exception nobody catches), `exit`
// (std::exit in the middle), `unwind` (an exception caught outside the mpi_environment's
// scope, so the environment is destroyed while it unwinds), `kill` (SIGKILL, no handler
// runs). run_expect_abort.cmake checks that the job then stops, non-zero and in bounded
// time, with the message mpi_environment prints.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace adjoint;
namespace dist = adjoint::distributed;

namespace
{
    void train(const std::string& mode)
    {
        dist::process_group group;
        Tensor t = ones({1000}, float64);
        group.all_reduce(t);   // both ranks get this far
        if (group.rank() == 1)
        {
            if (mode == "throw" || mode == "unwind")
            {
                throw std::runtime_error("fault_rank: injected failure on rank 1");
            }
            if (mode == "exit")
            {
                std::exit(3);
            }
            if (mode == "kill")
            {
                std::raise(SIGKILL);
            }
        }
        // Rank 0 now waits for a partner that will never come.
        for (int i = 0; i < 1000000; ++i)
        {
            group.all_reduce(t);
        }
    }
}

int main(int argc, char** argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode != "throw" && mode != "exit" && mode != "unwind" && mode != "kill")
    {
        std::cerr << "usage: mpirun -np 2 fault_rank throw|exit|unwind|kill\n";
        return 2;
    }
    if (mode == "unwind")
    {
        try
        {
            dist::mpi_environment env(argc, argv);
            train(mode);
        }
        catch (const std::exception& e)
        {
            // Not reached on rank 1: the environment's destructor aborted the job first.
            std::cerr << "caught: " << e.what() << '\n';
        }
        return 1;
    }
    dist::mpi_environment env(argc, argv);
    train(mode);
    return 0;
}
