// distributed_bench: one training step of a TinySeg-like conv encoder-decoder (conv 3->16
// k3 s1 p1, conv 16->32 k3 s2 p1, conv 32->64 k3 s2 p1, convT 64->32 k4 s2 p1, convT 32->16
// k4 s2 p1, each + ReLU, conv 16->1 k1; BCE-with-logits, Adam) on a global batch of 64x64
// images split over the ranks, timed per step. Prints, from rank 0: time per step and per
// sample, the time spent in finish_gradient_sync (its maximum over ranks includes waiting for
// the slowest rank; its minimum is about the communication not hidden behind backward), and a blocking all-reduce of the whole gradient timed on its own (what the
// communication costs if nothing overlaps). It compares nothing and asserts nothing.
//
//   mpirun -np 1 distributed_bench --threads 2     # one process, 2 BLAS threads
//   mpirun -np 2 distributed_bench --threads 1     # two ranks, 1 thread each
//   options: --batch 16 (global) --steps 20 --warmup 3 --bucket-mb 25 --threads 1
#include "models.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace adjoint;
using namespace adjoint::optim;
namespace dist = adjoint::distributed;

namespace
{
    using clock_type = std::chrono::steady_clock;
    double seconds_since(clock_type::time_point t)
    {
        return std::chrono::duration<double>(clock_type::now() - t).count();
    }

    double median(std::vector<double> v)
    {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    }


    void run(int argc, char** argv)
    {
        std::int64_t batch = 16;
        int steps = 20, warmup = 3, threads = 1;
        double bucket_mb = 25.0;
        for (int i = 1; i + 1 < argc; i += 2)
        {
            const std::string flag = argv[i], value = argv[i + 1];
            if (flag == "--batch") batch = std::stoll(value);
            else if (flag == "--steps") steps = std::stoi(value);
            else if (flag == "--warmup") warmup = std::stoi(value);
            else if (flag == "--threads") threads = std::stoi(value);
            else if (flag == "--bucket-mb") bucket_mb = std::stod(value);
            else throw std::invalid_argument("distributed_bench: unknown flag " + flag);
        }
        dist::process_group group;
        set_num_threads(threads);
        if (batch % group.size() != 0)
        {
            throw std::invalid_argument("distributed_bench: --batch must divide by the number of ranks");
        }
        const std::int64_t local = batch / group.size();
        manual_seed(static_cast<std::uint64_t>(group.rank()) + 1);
        const Tensor x = randn({local, 3, 64, 64});
        const Tensor y = (rand({local, 1, 64, 64}) > 0.5).to(float32);
        auto model = bench::sequential("tinyseg");
        dist::DistributedDataParallel ddp(*model, group, dist::DistributedDataParallelOptions().bucket_cap_mb(bucket_mb));
        Adam opt(model->parameters(), AdamOptions(1e-3));
        std::int64_t params = 0;
        for (const auto& p : model->parameters())
        {
            params += p.numel();
        }

        std::vector<double> step_times, sync_times, sync_min_times;
        for (int s = 0; s < warmup + steps; ++s)
        {
            group.barrier();   // every rank starts the step together
            const auto t0 = clock_type::now();
            opt.zero_grad();
            binary_cross_entropy_with_logits((*model)(x), y).backward();
            const auto t1 = clock_type::now();
            ddp.finish_gradient_sync();
            const double sync = seconds_since(t1);
            opt.step();
            const double total = seconds_since(t0);
            if (s >= warmup)
            {
                // The slowest rank sets the pace: take the maximum over ranks.
                step_times.push_back(group.all_reduce(total, dist::reduce_op::max));
                sync_times.push_back(group.all_reduce(sync, dist::reduce_op::max));
                // The rank whose backward finished last waits least: about the communication
                // left exposed; the maximum adds the time ranks wait for each other.
                sync_min_times.push_back(group.all_reduce(sync, dist::reduce_op::min));
            }
        }

        // The whole gradient (float32) all-reduced in one blocking call, on its own.
        std::vector<double> reduce_times;
        Tensor flat = zeros({params});
        for (int s = 0; s < warmup + steps; ++s)
        {
            group.barrier();
            const auto t0 = clock_type::now();
            group.all_reduce(flat);
            const double t = group.all_reduce(seconds_since(t0), dist::reduce_op::max);
            if (s >= warmup)
            {
                reduce_times.push_back(t);
            }
        }

        if (dist::is_main_process())
        {
            const double step = median(step_times), sync = median(sync_times), reduce = median(reduce_times);
            std::printf("{\"ranks\": %d, \"threads_per_rank\": %d, \"global_batch\": %lld, \"parameters\": %lld, "
                        "\"gradient_mb\": %.3f, \"buckets\": %zu, \"step_ms\": %.2f, \"ms_per_sample\": %.3f, "
                        "\"finish_sync_ms_max\": %.3f, \"finish_sync_ms_min\": %.3f, \"allreduce_alone_ms\": %.3f, \"allreduce_share\": %.3f}\n",
                        group.size(), threads, static_cast<long long>(batch), static_cast<long long>(params),
                        static_cast<double>(params) * 4.0 / 1e6, ddp.bucket_parameter_names().size(), step * 1e3,
                        step * 1e3 / static_cast<double>(batch), sync * 1e3, median(sync_min_times) * 1e3, reduce * 1e3,
                        group.size() > 1 ? reduce / step : 0.0);
        }
    }
}

int main(int argc, char** argv)
{
    dist::mpi_environment env(argc, argv);
    run(argc, argv);
    return 0;
}
