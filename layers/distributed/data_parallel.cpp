// DistributedDataParallel: the replica check, the bucket layout, the gradient hooks that
// start each bucket's all-reduce, and the wait-and-average before the optimizer step.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/distributed/data_parallel.hpp>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace adjoint::distributed
{
    namespace
    {
        struct entry
        {
            std::string kind;   // "parameter" or "buffer"
            std::string name;
            std::string layout;   // "float64 (16, 3, 3, 3)"
            std::string line() const { return kind + " '" + name + "' " + layout; }
        };

        std::vector<entry> describe(const Module& m)
        {
            std::vector<entry> out;
            for (const auto& [name, t] : m.named_parameters())
            {
                out.push_back({"parameter", name, std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape())});
            }
            for (const auto& [name, t] : m.named_buffers())
            {
                out.push_back({"buffer", name, std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape())});
            }
            return out;
        }

        // One entry per line, "kind\tname\tlayout": names cannot hold tabs or newlines.
        std::string serialise(const std::vector<entry>& entries)
        {
            std::string s;
            for (const auto& e : entries)
            {
                s += e.kind + '\t' + e.name + '\t' + e.layout + '\n';
            }
            return s;
        }

        std::vector<entry> parse(const std::string& s)
        {
            std::vector<entry> out;
            std::istringstream in(s);
            std::string line;
            while (std::getline(in, line))
            {
                const auto a = line.find('\t'), b = line.find('\t', a + 1);
                out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
            }
            return out;
        }

        // The first difference between this rank's replica and rank 0's, or "" when none.
        std::string first_difference(const std::vector<entry>& mine, const std::vector<entry>& root, int rank)
        {
            const std::string here = detail::str(" on rank ", rank), there = " on rank 0";
            for (std::size_t i = 0; i < mine.size() && i < root.size(); ++i)
            {
                const entry &a = mine[i], &b = root[i];
                if (a.kind == b.kind && a.name == b.name && a.layout != b.layout)
                {
                    return detail::str(a.kind, " '", a.name, "' is ", a.layout, here, " but ", b.layout, there);
                }
                if (a.kind != b.kind || a.name != b.name)
                {
                    return detail::str("entry ", i, " is ", a.line(), here, " but ", b.line(), there);
                }
            }
            if (mine.size() != root.size())
            {
                const entry& extra = mine.size() > root.size() ? mine[root.size()] : root[mine.size()];
                return detail::str("rank ", rank, " has ", mine.size(), " parameters and buffers but rank 0 has ",
                                   root.size(), "; the first one only on ", mine.size() > root.size() ? "rank " : "",
                                   mine.size() > root.size() ? std::to_string(rank) : "rank 0", " is ", extra.line());
            }
            return "";
        }

        template <class T>
        void write_mean(const array& flat, std::int64_t offset, array& out, int world)
        {
            const T* src = flat.data<T>() + offset;
            T* dst = out.data<T>();
            const T n = static_cast<T>(world);
            for (std::int64_t k = 0; k < out.numel(); ++k)
            {
                dst[k] = src[k] / n;
            }
        }
    }

    DistributedDataParallel::DistributedDataParallel(Module& module, const process_group& group,
                                                     const DistributedDataParallelOptions& options)
        : m_module(module), m_group(group), m_options(options)
    {
        if (!(options.bucket_cap_mb() > 0.0))
        {
            throw std::invalid_argument(
                detail::str("DistributedDataParallel: bucket_cap_mb must be > 0, got ", options.bucket_cap_mb()));
        }
        check_replicas_match();
        {
            const no_grad_guard no_grad;
            for (auto& [name, p] : module.named_parameters())
            {
                group.broadcast(p, 0);
            }
        }
        if (options.broadcast_buffers())
        {
            sync_buffers();
        }
        for (const auto& [name, p] : module.named_parameters())
        {
            if (p.requires_grad())
            {
                m_params.emplace_back(name, p);
            }
        }

        // Reverse registration order, a new bucket whenever the dtype changes or the cap
        // would be passed (a parameter larger than the cap gets a bucket of its own).
        const double cap = options.bucket_cap_mb() * 1024.0 * 1024.0;
        m_bucket_of.assign(m_params.size(), 0);
        double bytes = 0.0;
        for (std::size_t k = m_params.size(); k-- > 0;)
        {
            const Tensor& p = m_params[k].second;
            const double size = static_cast<double>(p.data().nbytes());
            if (m_buckets.empty() || m_buckets.back().dtype != p.dtype() ||
                (!m_buckets.back().params.empty() && bytes + size > cap))
            {
                m_buckets.emplace_back();
                m_buckets.back().dtype = p.dtype();
                bytes = 0.0;
            }
            bucket& b = m_buckets.back();
            b.params.push_back(k);
            b.offsets.push_back(b.numel);
            b.numel += p.numel();
            bytes += size;
            m_bucket_of[k] = m_buckets.size() - 1;
        }
        for (auto& b : m_buckets)
        {
            b.flat = array::empty({b.numel}, b.dtype, "DistributedDataParallel");
        }
        reset_round();
        for (std::size_t k = 0; k < m_params.size(); ++k)
        {
            m_hook_handles.push_back(
                m_params[k].second.register_grad_accumulated_hook([this, k](const Tensor&) { on_grad_ready(k); }));
        }
    }

    DistributedDataParallel::~DistributedDataParallel()
    {
        for (std::size_t k = 0; k < m_params.size(); ++k)
        {
            m_params[k].second.remove_grad_accumulated_hook(m_hook_handles[k]);
        }
        // Buckets still in flight are waited for by their pending_collective.
    }

    void DistributedDataParallel::check_replicas_match()
    {
        const std::vector<entry> mine = describe(m_module);
        const std::string root = m_group.broadcast_string(serialise(mine), 0);
        const std::string difference = m_group.rank() == 0 ? "" : first_difference(mine, parse(root), m_group.rank());
        // The lowest rank that found a difference tells every rank what it found.
        const double first = m_group.all_reduce(difference.empty() ? m_group.size() : m_group.rank(), reduce_op::min);
        if (first < m_group.size())
        {
            const std::string message = m_group.broadcast_string(difference, static_cast<int>(first));
            throw std::invalid_argument(detail::str("DistributedDataParallel: the model replicas differ across ranks: ",
                                                    message, "; every rank must build the same model"));
        }
    }

    void DistributedDataParallel::sync_buffers()
    {
        const no_grad_guard no_grad;
        for (auto& [name, b] : m_module.named_buffers())
        {
            m_group.broadcast(b, 0);
        }
    }

    void DistributedDataParallel::reset_round()
    {
        m_ready.assign(m_params.size(), false);
        for (auto& b : m_buckets)
        {
            b.waiting = b.params.size();
            b.launched = false;
        }
        m_next_launch = 0;
        m_round_started = false;
    }

    void DistributedDataParallel::on_grad_ready(std::size_t param)
    {
        if (!m_sync_enabled)
        {
            return;
        }
        if (m_ready[param])
        {
            throw std::logic_error(detail::str(
                "DistributedDataParallel: parameter '", m_params[param].first,
                "' received a second gradient before finish_gradient_sync(); call finish_gradient_sync() after "
                "every backward() (before optimizer.step()), or run the extra backward passes under no_sync()"));
        }
        m_ready[param] = true;
        m_round_started = true;
        bucket& b = m_buckets[m_bucket_of[param]];
        if (--b.waiting == 0)
        {
            launch_ready_buckets();
        }
        // MPI moves a non-blocking collective forward only inside MPI calls: poke the ones
        // in flight so they progress while backward computes.
        for (std::size_t i = 0; i < m_next_launch; ++i)
        {
            m_buckets[i].work.test();
        }
    }

    void DistributedDataParallel::launch_ready_buckets()
    {
        while (m_next_launch < m_buckets.size() && m_buckets[m_next_launch].waiting == 0)
        {
            launch(m_buckets[m_next_launch++]);
        }
    }

    void DistributedDataParallel::launch(bucket& b)
    {
        const std::size_t item = dtype_size(b.dtype);
        auto* flat = static_cast<unsigned char*>(b.flat.mutable_data_ptr());
        for (std::size_t j = 0; j < b.params.size(); ++j)
        {
            const Tensor& p = m_params[b.params[j]].second;
            unsigned char* dst = flat + static_cast<std::size_t>(b.offsets[j]) * item;
            const Tensor g = p.grad();
            if (g.defined())
            {
                std::memcpy(dst, g.data().data_ptr(), g.data().nbytes());
            }
            else
            {
                std::memset(dst, 0, static_cast<std::size_t>(p.numel()) * item);   // unused in this pass: 0.0
            }
        }
        b.work = m_group.all_reduce_async(b.flat);
        b.launched = true;
    }

    void DistributedDataParallel::finish_gradient_sync()
    {
        if (!m_round_started)
        {
            return;
        }
        while (m_next_launch < m_buckets.size())
        {
            launch(m_buckets[m_next_launch++]);   // some of its parameters got no gradient
        }
        for (auto& b : m_buckets)
        {
            b.work.wait();
            for (std::size_t j = 0; j < b.params.size(); ++j)
            {
                Tensor& p = m_params[b.params[j]].second;
                array g = array::empty(p.shape(), b.dtype, "DistributedDataParallel");
                if (b.dtype == float64)
                {
                    write_mean<double>(b.flat, b.offsets[j], g, m_group.size());
                }
                else
                {
                    write_mean<float>(b.flat, b.offsets[j], g, m_group.size());
                }
                p.set_grad(Tensor(g));
            }
        }
        reset_round();
    }

    std::vector<std::vector<std::string>> DistributedDataParallel::bucket_parameter_names() const
    {
        std::vector<std::vector<std::string>> out;
        for (const auto& b : m_buckets)
        {
            out.emplace_back();
            for (auto k : b.params)
            {
                out.back().push_back(m_params[k].first);
            }
        }
        return out;
    }
}
