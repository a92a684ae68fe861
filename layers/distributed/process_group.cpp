// The MPI calls behind process_group.hpp: every one goes through check(), which turns an
// error code into an mpi_error naming the op and the call; the fault handlers that make a
// failing rank abort the job live here too.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/distributed/process_group.hpp>

#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace adjoint::distributed
{
    namespace
    {
        void check(int code, const char* op, const char* call)
        {
            if (code == MPI_SUCCESS)
            {
                return;
            }
            char text[MPI_MAX_ERROR_STRING];
            int length = 0;
            if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
            {
                length = 0;
            }
            throw mpi_error(detail::str(op, ": ", call, " failed: ", std::string(text, static_cast<std::size_t>(length)),
                                        " (MPI error ", code, ")"),
                            code);
        }

        MPI_Datatype mpi_type(adjoint::dtype dt)
        {
            switch (dt)
            {
            case float32: return MPI_FLOAT;
            case float64: return MPI_DOUBLE;
            case int64: return MPI_INT64_T;
            }
            throw std::invalid_argument("distributed: unsupported dtype");
        }

        MPI_Op mpi_op(reduce_op op)
        {
            switch (op)
            {
            case reduce_op::sum:
            case reduce_op::average: return MPI_SUM;
            case reduce_op::max: return MPI_MAX;
            case reduce_op::min: return MPI_MIN;
            }
            throw std::invalid_argument("distributed: unsupported reduce_op");
        }

        int world_rank()
        {
            int rank = -1;
            return MPI_Comm_rank(MPI_COMM_WORLD, &rank) == MPI_SUCCESS ? rank : -1;
        }

        [[noreturn]] void abort_job(const std::string& message, int code)
        {
            // One write(2) for the whole line: piecewise writes to an unbuffered stderr could
            // interleave with the other ranks' and mpiexec's own messages.
            const std::string line =
                "adjoint.distributed: rank " + std::to_string(world_rank()) + ": " + message + "\n";
            [[maybe_unused]] const auto written = ::write(2, line.data(), line.size());
            if (mpi_environment::active())
            {
                MPI_Abort(MPI_COMM_WORLD, code);
            }
            std::_Exit(code);
        }

        std::terminate_handler previous_terminate = nullptr;

        void terminate_handler()
        {
            std::string what = "std::terminate called without an active exception";
            if (auto current = std::current_exception())
            {
                try
                {
                    std::rethrow_exception(current);
                }
                catch (const std::exception& e)
                {
                    what = std::string("uncaught exception: ") + e.what();
                }
                catch (...)
                {
                    what = "uncaught exception of a type not derived from std::exception";
                }
            }
            abort_job(what + " (stopping every rank)", 1);
        }

        void exit_handler()
        {
            if (mpi_environment::active())
            {
                abort_job("exit() while MPI was still initialized (mpi_environment not destroyed); stopping every rank",
                          1);
            }
        }

        // MPI can be initialized once per process: a second environment is a logic error.
        bool environment_created = false;

        void start(int* argc, char*** argv)
        {
            if (environment_created)
            {
                throw std::logic_error("mpi_environment: MPI can be initialized once per process; create one "
                                       "mpi_environment in main and keep it for the program's lifetime");
            }
            environment_created = true;
            int provided = 0;
            check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "mpi_environment", "MPI_Init_thread");
            check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "mpi_environment",
                  "MPI_Comm_set_errhandler");
            previous_terminate = std::set_terminate(terminate_handler);
            std::atexit(exit_handler);
        }

        void check_writable(const Tensor& t, const char* op)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(detail::str(op, ": expected a defined tensor, got an undefined one"));
            }
            if (t.requires_grad() && is_grad_enabled())
            {
                throw std::logic_error(detail::str(
                    op, ": writes into the tensor in place, which is not part of any graph; run it under "
                        "no_grad_guard for a tensor that requires grad"));
            }
        }

        int count_of(std::int64_t numel, const char* op)
        {
            if (numel > std::numeric_limits<int>::max())
            {
                throw std::invalid_argument(detail::str(op, ": at most ", std::numeric_limits<int>::max(),
                                                        " elements per call (MPI counts are int), got ", numel));
            }
            return static_cast<int>(numel);
        }
    }

    mpi_environment::mpi_environment(int& argc, char**& argv) { start(&argc, &argv); }
    mpi_environment::mpi_environment() { start(nullptr, nullptr); }

    mpi_environment::~mpi_environment()
    {
        if (std::uncaught_exceptions() > 0)
        {
            // The other ranks may be waiting in a collective this rank will never join:
            // MPI_Finalize would wait for them forever.
            abort_job("leaving main with an exception in flight; stopping every rank", 1);
        }
        std::set_terminate(previous_terminate);
        MPI_Finalize();
    }

    bool mpi_environment::active()
    {
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        return initialized && !finalized;
    }

    void mpi_environment::abort(const std::string& message, int code) { abort_job(message, code); }

    bool is_main_process() { return !mpi_environment::active() || world_rank() == 0; }

    // ---- pending_collective ----

    struct pending_collective::state
    {
        MPI_Request request = MPI_REQUEST_NULL;
    };

    pending_collective::pending_collective() = default;
    pending_collective::pending_collective(pending_collective&&) noexcept = default;
    pending_collective& pending_collective::operator=(pending_collective&& other) noexcept
    {
        if (this != &other)
        {
            if (valid())
            {
                MPI_Wait(&m_state->request, MPI_STATUS_IGNORE);
            }
            m_state = std::move(other.m_state);
        }
        return *this;
    }
    pending_collective::~pending_collective()
    {
        if (valid())
        {
            MPI_Wait(&m_state->request, MPI_STATUS_IGNORE);   // errors cannot leave a destructor
        }
    }

    bool pending_collective::valid() const { return m_state && m_state->request != MPI_REQUEST_NULL; }

    bool pending_collective::test()
    {
        if (!valid())
        {
            return true;
        }
        int done = 0;
        check(MPI_Test(&m_state->request, &done, MPI_STATUS_IGNORE), "all_reduce_async", "MPI_Test");
        return done != 0;
    }

    void pending_collective::wait()
    {
        if (valid())
        {
            check(MPI_Wait(&m_state->request, MPI_STATUS_IGNORE), "all_reduce_async", "MPI_Wait");
        }
    }

    // ---- process_group ----

    struct process_group::impl
    {
        MPI_Comm comm = MPI_COMM_NULL;
    };

    process_group::process_group() : m_impl(std::make_unique<impl>())
    {
        if (!mpi_environment::active())
        {
            throw std::logic_error("process_group: MPI is not initialized; create an mpi_environment in main first");
        }
        check(MPI_Comm_dup(MPI_COMM_WORLD, &m_impl->comm), "process_group", "MPI_Comm_dup");
        check(MPI_Comm_set_errhandler(m_impl->comm, MPI_ERRORS_RETURN), "process_group", "MPI_Comm_set_errhandler");
        check(MPI_Comm_rank(m_impl->comm, &m_rank), "process_group", "MPI_Comm_rank");
        check(MPI_Comm_size(m_impl->comm, &m_size), "process_group", "MPI_Comm_size");
        // The ranks sharing this machine: the ones a program divides the cores among.
        MPI_Comm node = MPI_COMM_NULL;
        check(MPI_Comm_split_type(m_impl->comm, MPI_COMM_TYPE_SHARED, m_rank, MPI_INFO_NULL, &node), "process_group",
              "MPI_Comm_split_type");
        const int sized = MPI_Comm_size(node, &m_local_size);
        MPI_Comm_free(&node);
        check(sized, "process_group", "MPI_Comm_size");
    }

    process_group::~process_group()
    {
        if (m_impl->comm != MPI_COMM_NULL && mpi_environment::active())
        {
            MPI_Comm_free(&m_impl->comm);
        }
    }

    void process_group::all_reduce(Tensor& t, reduce_op op) const
    {
        const char* name = "all_reduce";
        check_writable(t, name);
        if (op == reduce_op::average && t.dtype() == int64)
        {
            throw std::invalid_argument(
                "all_reduce: average needs a floating dtype (an int64 mean would truncate), got int64; reduce with "
                "sum and divide by size() yourself");
        }
        const int count = count_of(t.numel(), name);
        void* data = t.mutable_data().mutable_data_ptr();   // the tensor's own buffer, no copy
        check(MPI_Allreduce(MPI_IN_PLACE, data, count, mpi_type(t.dtype()), mpi_op(op), m_impl->comm), name,
              "MPI_Allreduce");
        if (op == reduce_op::average)
        {
            const no_grad_guard no_grad;
            t.mul_(1.0 / static_cast<double>(m_size));
        }
    }

    pending_collective process_group::all_reduce_async(array& a) const
    {
        const char* name = "all_reduce_async";
        pending_collective work;
        work.m_state = std::make_unique<pending_collective::state>();
        check(MPI_Iallreduce(MPI_IN_PLACE, a.mutable_data_ptr(), count_of(a.numel(), name), mpi_type(a.dtype()),
                             MPI_SUM, m_impl->comm, &work.m_state->request),
              name, "MPI_Iallreduce");
        return work;
    }

    double process_group::all_reduce(double value, reduce_op op) const
    {
        check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, mpi_op(op), m_impl->comm), "all_reduce",
              "MPI_Allreduce");
        return op == reduce_op::average ? value / m_size : value;
    }

    void process_group::broadcast(Tensor& t, int root) const
    {
        const char* name = "broadcast";
        check_writable(t, name);
        if (root < 0 || root >= m_size)
        {
            throw std::invalid_argument(detail::str("broadcast: root must be a rank in [0, ", m_size, "), got ", root));
        }
        check(MPI_Bcast(t.mutable_data().mutable_data_ptr(), count_of(t.numel(), name), mpi_type(t.dtype()), root,
                        m_impl->comm),
              name, "MPI_Bcast");
    }

    Tensor process_group::all_gather(const Tensor& t) const
    {
        const char* name = "all_gather";
        if (!t.defined())
        {
            throw std::invalid_argument("all_gather: expected a defined tensor, got an undefined one");
        }
        // A size mismatch would make MPI read past a buffer: compare first (min and max at once).
        std::int64_t sizes[2] = {t.numel(), -t.numel()};
        check(MPI_Allreduce(MPI_IN_PLACE, sizes, 2, MPI_INT64_T, MPI_MAX, m_impl->comm), name, "MPI_Allreduce");
        if (sizes[0] != -sizes[1])
        {
            throw std::invalid_argument(detail::str("all_gather: every rank must pass the same shape, got ",
                                                    shape_str(t.shape()), " on rank ", m_rank, " while ranks pass ",
                                                    -sizes[1], " to ", sizes[0], " elements"));
        }
        shape_t out_shape{m_size};
        out_shape.insert(out_shape.end(), t.shape().begin(), t.shape().end());
        array out = array::empty(out_shape, t.dtype(), name);
        const int count = count_of(t.numel(), name);
        check(MPI_Allgather(t.data().data_ptr(), count, mpi_type(t.dtype()), out.mutable_data_ptr(), count,
                            mpi_type(t.dtype()), m_impl->comm),
              name, "MPI_Allgather");
        return Tensor(out);
    }

    void process_group::barrier() const { check(MPI_Barrier(m_impl->comm), "barrier", "MPI_Barrier"); }

    std::string process_group::broadcast_string(const std::string& s, int root) const
    {
        const char* name = "broadcast_string";
        std::int64_t length = static_cast<std::int64_t>(s.size());
        check(MPI_Bcast(&length, 1, MPI_INT64_T, root, m_impl->comm), name, "MPI_Bcast");
        std::string out = m_rank == root ? s : std::string(static_cast<std::size_t>(length), '\0');
        check(MPI_Bcast(out.data(), count_of(length, name), MPI_CHAR, root, m_impl->comm), name, "MPI_Bcast");
        return out;
    }
}
