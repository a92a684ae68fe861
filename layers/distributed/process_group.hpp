// MPI underneath adjoint::distributed: the init/finalize guard (mpi_environment), which also
// makes a failing rank stop every rank instead of leaving them blocked in a collective, and a
// process group with the collectives data-parallel training needs, on float32, float64 and
// int64 tensors. A collective reads and writes the tensor's own contiguous buffer (no
// staging copy). Every MPI call returns its error (MPI_ERRORS_RETURN), which becomes an
// mpi_error naming the call. mpi.h stays out of this header: users of the component need
// MPI to run, not to compile. Not here: sub-communicators, point-to-point messages, GPUs.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace adjoint::distributed
{
    // An MPI call that failed: what() is "<op>: <MPI call> failed: <MPI's error string>".
    class mpi_error : public std::runtime_error
    {
    public:
        mpi_error(const std::string& what, int code) : std::runtime_error(what), m_code(code) {}
        int code() const { return m_code; }   // MPI's error code

    private:
        int m_code;
    };

    // MPI_Init_thread (MPI_THREAD_FUNNELED: only the thread that created it calls MPI) on
    // construction, MPI_Finalize on destruction; one per process, in main, before any other
    // object of this component. It also installs the fault handling that keeps a job from
    // hanging when one rank fails while the others wait in a collective:
    //   - an exception nobody catches (std::terminate) prints
    //     "adjoint.distributed: rank R: uncaught exception: <what()>" and calls MPI_Abort;
    //   - destroying the environment while an exception unwinds the stack aborts the same way;
    //   - exit() without destroying it (std::exit in the middle of training) aborts too.
    // MPI_Abort makes mpirun stop every rank and exit non-zero. A rank that dies outright
    // (a signal, _exit) is noticed by mpirun itself, which stops the others.
    class mpi_environment
    {
    public:
        mpi_environment(int& argc, char**& argv);
        mpi_environment();   // for programs that do not pass their arguments on
        ~mpi_environment();
        mpi_environment(const mpi_environment&) = delete;
        mpi_environment& operator=(const mpi_environment&) = delete;

        // Between MPI_Init and MPI_Finalize.
        static bool active();
        // Prints "adjoint.distributed: rank R: <message>" to stderr and stops the whole job
        // (MPI_Abort on MPI_COMM_WORLD with `code`). Without an active MPI it exits the process.
        [[noreturn]] static void abort(const std::string& message, int code = 1);
    };

    // True on rank 0 of the world, and in a process without an active MPI: the one process
    // that writes checkpoints, images and CSV files.
    bool is_main_process();

    enum class reduce_op
    {
        sum,
        average,   // sum / world size; floating dtypes only (an int64 mean would truncate)
        max,
        min,
    };

    // A non-blocking collective in flight (process_group::all_reduce_async). The buffer it
    // was given must stay alive and untouched until wait() returns; destroying unfinished
    // work waits for it (a collective cannot be cancelled).
    class pending_collective
    {
    public:
        pending_collective();
        ~pending_collective();
        pending_collective(pending_collective&&) noexcept;
        pending_collective& operator=(pending_collective&&) noexcept;

        bool valid() const;   // started and not yet waited for
        bool test();          // true once complete; also lets MPI progress the operation
        void wait();          // blocks until complete; afterwards valid() is false

    private:
        friend class process_group;
        struct state;
        std::unique_ptr<state> m_state;
    };

    // The ranks of MPI_COMM_WORLD, through a private duplicate of it (so adjoint's messages
    // never match a user's own MPI calls) whose error handler is MPI_ERRORS_RETURN. Every
    // rank must call the same collectives in the same order with tensors of the same shape
    // and dtype, as in MPI; in-place collectives write into the tensor's buffer like copy_,
    // so on a tensor that requires grad they must run under no_grad_guard (std::logic_error
    // otherwise). Errors: std::invalid_argument for an unsupported dtype or operation,
    // mpi_error when MPI fails.
    class process_group
    {
    public:
        process_group();   // needs an active mpi_environment (std::logic_error otherwise)
        ~process_group();
        process_group(const process_group&) = delete;
        process_group& operator=(const process_group&) = delete;

        int rank() const { return m_rank; }
        int size() const { return m_size; }
        // How many of the ranks run on this rank's machine (MPI_COMM_TYPE_SHARED): divide the
        // machine's cores by it to give each rank its threads without oversubscribing.
        int local_size() const { return m_local_size; }

        void all_reduce(Tensor& t, reduce_op op = reduce_op::sum) const;   // in place
        // Starts an in-place sum of `a` (sum only; average by dividing once complete).
        pending_collective all_reduce_async(array& a) const;
        double all_reduce(double value, reduce_op op = reduce_op::sum) const;
        void broadcast(Tensor& t, int root = 0) const;                      // in place
        // Every rank's `t` stacked along a new first axis: (size(), *t.shape()), rank order.
        // Shapes must agree (checked: std::invalid_argument naming both sizes).
        Tensor all_gather(const Tensor& t) const;
        void barrier() const;
        // Rank `root`'s string on every rank (lengths may differ before the call).
        std::string broadcast_string(const std::string& s, int root = 0) const;

    private:
        struct impl;
        std::unique_ptr<impl> m_impl;
        int m_rank = 0;
        int m_size = 1;
        int m_local_size = 1;
    };
}
