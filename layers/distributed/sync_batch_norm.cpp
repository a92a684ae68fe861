// SyncBatchNorm (see sync_batch_norm.hpp): the per-channel sums behind the global statistics,
// the two all-reduces, the running-stat update, and one recorded op whose backward sits right
// under its forward. Layout [n, c, s] (spatial dims flattened), each sample's channel plane
// one contiguous run of s values, as in core/batch_norm_kernels. The normalisation itself is
// kernels::batch_norm_transform; eval and the no-sync cases are autograd's batch_norm.
// convert_sync_batchnorm finds a model's BatchNorm2d layers and swaps them through
// Sequential::replace.
#include <adjoint/autograd/batch_norm.hpp>
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/node.hpp>
#include <adjoint/core/batch_norm_kernels.hpp>
#include <adjoint/core/xt.hpp>
#include <adjoint/layers/distributed/sync_batch_norm.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace adjoint::distributed
{
    namespace
    {
        using kernels::channel_layout;
        using kernels::channel_layout_of;

        // f(ch, value_index) over every value of channel ch, in memory order.
        template <class F>
        void for_each_in_channel(const channel_layout& l, std::int64_t ch, F&& f)
        {
            for (std::int64_t i = 0; i < l.n; ++i)
            {
                const std::int64_t base = (i * l.c + ch) * l.s;
                for (std::int64_t e = 0; e < l.s; ++e)
                {
                    f(base + e);
                }
            }
        }

        // A float64 [k] tensor over `values`, summed over the ranks in place, read back.
        void all_reduce_sum(const process_group& group, std::vector<double>& values)
        {
            Tensor t = from_vector(values, {static_cast<std::int64_t>(values.size())}, float64);
            group.all_reduce(t, reduce_op::sum);
            values = t.to_vector();
        }

        array channel_array(const std::vector<double>& values, adjoint::dtype dt)
        {
            return from_vector(values, {static_cast<std::int64_t>(values.size())}, dt).data();
        }
    }

    SyncBatchNorm::SyncBatchNorm(const BatchNorm2dOptions& options, const process_group& group)
        : BatchNormBase(options, "SyncBatchNorm"), m_group(&group)
    {
    }

    Tensor SyncBatchNorm::forward(const Tensor& x)
    {
        return guarded([&] {
            if (!x.defined() || x.dim() < 2)
            {
                throw std::invalid_argument(detail::str("SyncBatchNorm: expected at least 2D input [N, C, ...], got ",
                                                        x.defined() ? "size " + shape_str(x.shape()) : "none"));
            }
            if (x.size(1) != m_options.num_features())
            {
                throw std::invalid_argument(detail::str("SyncBatchNorm: expected ", m_options.num_features(),
                                                        " channels (num_features), got input of size ",
                                                        shape_str(x.shape())));
            }
            detail::check_same_dtype("SyncBatchNorm", {x, m_weight, m_bias, m_running_mean, m_running_var});
            if (!is_training())
            {
                // PyTorch's rule, without communication: running statistics when tracked, else
                // the rank's own batch.
                const bool tracking = m_options.track_running_stats();
                return batch_norm(x, m_running_mean, m_running_var, m_weight, m_bias, !tracking,
                                  m_options.momentum(), m_options.eps());
            }
            return synced_forward(x);
        });
    }

    Tensor SyncBatchNorm::synced_forward(const Tensor& x)
    {
        const channel_layout l = channel_layout_of(x.data());
        const std::int64_t c = l.c;
        // [sum_0 .. sum_{C-1}, sumsq_0 .. sumsq_{C-1}, count], accumulated in double.
        std::vector<double> stats(static_cast<std::size_t>(2 * c + 1), 0.0);
        detail::dispatch_floating(x.dtype(), "SyncBatchNorm", [&](auto t) {
            using T = decltype(t);
            const T* xs = x.data().data<T>();
            for (std::int64_t ch = 0; ch < c; ++ch)
            {
                double s = 0.0, q = 0.0;
                for_each_in_channel(l, ch, [&](std::int64_t k) {
                    const double v = static_cast<double>(xs[k]);
                    s += v;
                    q += v * v;
                });
                stats[ch] = s;
                stats[c + ch] = q;
            }
        });
        stats[2 * c] = static_cast<double>(l.n * l.s);
        all_reduce_sum(*m_group, stats);

        // Every rank has the same count now, so every rank throws here together (no rank is
        // left waiting in the next collective).
        const double count = stats[2 * c];
        if (count <= 1.0)
        {
            throw std::invalid_argument(detail::str("SyncBatchNorm: expected more than 1 value per channel when ",
                                                    "training over all ", m_group->size(), " ranks, got ", count,
                                                    " (input size on this rank ", shape_str(x.shape()), ")"));
        }
        std::vector<double> mean(c), var(c), invstd(c), var_unbiased(c);
        for (std::int64_t ch = 0; ch < c; ++ch)
        {
            mean[ch] = stats[ch] / count;
            // E[x^2] - E[x]^2 in double; clamped, since rounding can take it just below 0.
            var[ch] = std::max(stats[c + ch] / count - mean[ch] * mean[ch], 0.0);
            var_unbiased[ch] = var[ch] * count / (count - 1.0);
            invstd[ch] = 1.0 / std::sqrt(var[ch] + m_options.eps());
        }

        if (m_options.track_running_stats())
        {
            no_grad_guard off;
            const double batches = m_num_batches_tracked.item() + 1.0;
            const double factor = m_options.momentum() ? *m_options.momentum() : 1.0 / batches;
            m_running_mean.mul_(1.0 - factor).add_(from_vector(mean, {c}, x.dtype()), factor);
            m_running_var.mul_(1.0 - factor).add_(from_vector(var_unbiased, {c}, x.dtype()), factor);
            m_num_batches_tracked.fill_(batches);
        }

        array y = kernels::batch_norm_transform(x.data(), channel_array(mean, x.dtype()),
                                                channel_array(var, x.dtype()),
                                                m_weight.defined() ? m_weight.data() : array(),
                                                m_bias.defined() ? m_bias.data() : array(), m_options.eps());
        const process_group* group = m_group;
        const Tensor weight = m_weight;
        return detail::record(
            std::move(y), "sync_batch_norm", {x, m_weight, m_bias},
            [x, weight, mean, invstd, count, group](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                if (is_grad_enabled())
                {
                    throw std::logic_error("SyncBatchNorm: double backward (create_graph = true) is not supported: "
                                           "the all-reduced sums are not differentiable; use BatchNorm2d for it");
                }
                // With x-hat = (x - mean) * invstd, sums over this rank's values of channel ch:
                //   gb = sum(g), gw = sum(g * x-hat), and with the sums over ALL ranks (G, H)
                //   gx = w * invstd * (g - G / count - x-hat * H / count).
                const channel_layout l = channel_layout_of(x.data());
                const std::int64_t c = l.c;
                std::vector<double> sums(static_cast<std::size_t>(2 * c), 0.0);   // [sum g, sum g * x-hat]
                array gx;
                detail::dispatch_floating(x.dtype(), "SyncBatchNorm", [&](auto t) {
                    using T = decltype(t);
                    const T* xs = x.data().data<T>();
                    const T* gs = g.data().data<T>();
                    for (std::int64_t ch = 0; ch < c; ++ch)
                    {
                        double sg = 0.0, sgx = 0.0;
                        for_each_in_channel(l, ch, [&](std::int64_t k) {
                            const double gv = static_cast<double>(gs[k]);
                            sg += gv;
                            sgx += gv * (static_cast<double>(xs[k]) - mean[ch]) * invstd[ch];
                        });
                        sums[ch] = sg;
                        sums[c + ch] = sgx;
                    }
                });
                Tensor gw, gb;
                if (needs[1])
                {
                    gw = from_vector(std::vector<double>(sums.begin() + c, sums.end()), {c}, x.dtype());
                }
                if (needs[2])
                {
                    gb = from_vector(std::vector<double>(sums.begin(), sums.begin() + c), {c}, x.dtype());
                }
                if (!needs[0])
                {
                    return {Tensor(), gw, gb};
                }
                std::vector<double> global = sums;
                all_reduce_sum(*group, global);
                gx = array::empty(x.shape(), x.dtype(), "SyncBatchNorm");
                detail::dispatch_floating(x.dtype(), "SyncBatchNorm", [&](auto t) {
                    using T = decltype(t);
                    const T* xs = x.data().data<T>();
                    const T* gs = g.data().data<T>();
                    const T* ws = weight.defined() ? weight.data().data<T>() : nullptr;
                    T* out = gx.data<T>();
                    for (std::int64_t ch = 0; ch < c; ++ch)
                    {
                        const double scale = (ws ? static_cast<double>(ws[ch]) : 1.0) * invstd[ch];
                        const double mean_g = global[ch] / count, mean_gx = global[c + ch] / count;
                        for_each_in_channel(l, ch, [&](std::int64_t k) {
                            const double xhat = (static_cast<double>(xs[k]) - mean[ch]) * invstd[ch];
                            out[k] = static_cast<T>(scale * (static_cast<double>(gs[k]) - mean_g - xhat * mean_gx));
                        });
                    }
                });
                return {Tensor(std::move(gx)), gw, gb};
            },
            detail::saves::only({0, 1}));
    }

    std::shared_ptr<Module> SyncBatchNorm::clone() const
    {
        return clone_into(*this, std::make_shared<SyncBatchNorm>(m_options, *m_group));
    }

    namespace
    {
        // A SyncBatchNorm holding what `bn` holds: options, values, dtype, requires_grad, mode.
        std::shared_ptr<SyncBatchNorm> synced_copy(const BatchNorm2d& bn, const process_group& group)
        {
            auto sync = std::make_shared<SyncBatchNorm>(bn.options(), group);
            const Tensor like = bn.weight().defined() ? bn.weight() : bn.running_mean();
            if (like.defined())
            {
                sync->to(like.dtype());
            }
            sync->load_state_dict(bn.state_dict());
            if (bn.weight().defined())
            {
                sync->weight().requires_grad_(bn.weight().requires_grad());
                sync->bias().requires_grad_(bn.bias().requires_grad());
            }
            sync->train(bn.is_training());
            return sync;
        }
    }

    std::shared_ptr<Module> convert_sync_batchnorm(std::shared_ptr<Module> model, const process_group& group)
    {
        if (!model)
        {
            throw std::invalid_argument("convert_sync_batchnorm: the model is null");
        }
        if (const auto* bn = dynamic_cast<const BatchNorm2d*>(model.get()))
        {
            return synced_copy(*bn, group);
        }
        // Every place a BatchNorm2d sits, first; nothing changes unless all can be converted.
        struct place
        {
            Sequential* parent;
            std::size_t index;
        };
        std::vector<place> places;
        std::vector<std::string> refused;
        for (const auto& [path, m] : model->named_modules())
        {
            if (auto* seq = dynamic_cast<Sequential*>(m))
            {
                for (std::size_t i = 0; i < seq->size(); ++i)   // every position, a layer listed twice too
                {
                    if (dynamic_cast<const BatchNorm2d*>((*seq)[i].get()) != nullptr)
                    {
                        places.push_back({seq, i});
                    }
                }
                continue;
            }
            for (const auto& [name, child] : m->named_children())
            {
                if (dynamic_cast<const BatchNorm2d*>(child.get()) != nullptr)
                {
                    refused.push_back(detail::str(path.empty() ? name : path + "." + name, " (in ", m->type_name(), ")"));
                }
            }
        }
        if (!refused.empty())
        {
            std::string list;
            for (const std::string& r : refused)
            {
                list += (list.empty() ? "" : ", ") + r;
            }
            throw std::invalid_argument(detail::str(
                "convert_sync_batchnorm: a BatchNorm2d can be converted only inside a Sequential, whose forward "
                "calls its children through the registry; found in other modules: ", list,
                ". Such a module would go on calling the old layer through its member: build it with "
                "SyncBatchNorm instead (e.g. give its constructor the norm layer to use)"));
        }
        std::vector<std::pair<const Module*, std::shared_ptr<SyncBatchNorm>>> made;   // one per layer
        for (const place& p : places)
        {
            const std::shared_ptr<Module> old = (*p.parent)[p.index];
            auto it = std::find_if(made.begin(), made.end(), [&](const auto& m) { return m.first == old.get(); });
            if (it == made.end())
            {
                made.emplace_back(old.get(), synced_copy(static_cast<const BatchNorm2d&>(*old), group));
                it = std::prev(made.end());
            }
            p.parent->replace(p.index, it->second);
        }
        return model;
    }
}
