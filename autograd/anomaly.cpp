// Anomaly mode's switch and checks (see anomaly.hpp): a scan of each result for NaN and Inf
// while the mode is on, and the messages that name the op, its input's producer and the layer.
#include <adjoint/autograd/anomaly.hpp>
#include <adjoint/autograd/node.hpp>

#include <cmath>
#include <cstdint>

namespace adjoint
{
    namespace detail
    {
        std::atomic<bool> g_detect_anomaly{false};

        namespace
        {
            std::atomic<layer_path_fn> g_layer_path{nullptr};
            thread_local int t_backward_depth = 0;   // inside a node's backward function

            // Counts of NaN and of ±Inf in a floating array (int64 holds neither).
            struct non_finite
            {
                std::int64_t nan = 0;
                std::int64_t inf = 0;
                std::int64_t first = -1;   // flat index of the first one
            };

            template <class T>
            void scan(const T* p, std::int64_t n, non_finite& out)
            {
                for (std::int64_t i = 0; i < n; ++i)
                {
                    if (std::isnan(p[i]))
                    {
                        ++out.nan;
                    }
                    else if (std::isinf(p[i]))
                    {
                        ++out.inf;
                    }
                    else
                    {
                        continue;
                    }
                    if (out.first < 0)
                    {
                        out.first = i;
                    }
                }
            }

            non_finite count_non_finite(const array& a)
            {
                non_finite out;
                if (!a.defined())
                {
                    return out;
                }
                if (a.dtype() == float32)
                {
                    scan(a.data<float>(), a.numel(), out);
                }
                else if (a.dtype() == float64)
                {
                    scan(a.data<double>(), a.numel(), out);
                }
                return out;
            }

            // "NaN (3 of 6 values, the first at flat index 2)" / "Inf (...)" / "NaN and Inf (...)".
            std::string describe(const non_finite& f, std::int64_t numel)
            {
                const char* what = f.nan > 0 && f.inf > 0 ? "NaN and Inf" : (f.nan > 0 ? "NaN" : "Inf");
                return str(what, " (", f.nan + f.inf, " of ", numel, " values, the first at flat index ", f.first, ")");
            }

            std::string producer_of(const Tensor& t)
            {
                if (!t.defined())
                {
                    return "an undefined tensor";
                }
                if (t.grad_fn())
                {
                    return str("'", t.grad_fn()->name(), "'");
                }
                return t.requires_grad() ? "a leaf (a parameter or an input with requires_grad)"
                                         : "no recorded op (a leaf, or computed without grad)";
            }

            std::string in_layer(const std::string& path)
            {
                return path.empty() ? std::string(" outside any layer of a model") : " in layer " + path;
            }
        }

        void set_layer_path_provider(layer_path_fn provider) { g_layer_path.store(provider); }

        std::string current_layer_path()
        {
            const layer_path_fn f = g_layer_path.load();
            return f != nullptr ? f() : std::string();
        }

        backward_anomaly_scope::backward_anomaly_scope() { ++t_backward_depth; }
        backward_anomaly_scope::~backward_anomaly_scope() { --t_backward_depth; }

        void check_forward_anomaly(const array& result, const char* name, const tensor_list& inputs)
        {
            if (t_backward_depth > 0)
            {
                return;
            }
            const non_finite f = count_non_finite(result);
            if (f.first < 0)
            {
                return;
            }
            std::string msg = str("anomaly: '", name, "' produced ", describe(f, result.numel()),
                                  " in its forward result of shape ", shape_str(result.shape()),
                                  in_layer(current_layer_path()), ";");
            for (std::size_t i = 0; i < inputs.size(); ++i)
            {
                const non_finite in = count_non_finite(inputs[i].defined() ? inputs[i].data() : array());
                msg += str(" input ", i, " was produced by ", producer_of(inputs[i]),
                           in.first >= 0 ? " and already held NaN/Inf" : "", i + 1 < inputs.size() ? "," : "");
            }
            throw anomaly_error(msg);
        }

        void check_backward_anomaly(const std::string& op, const tensor_list& grads, const std::vector<bool>& needs,
                                    const std::vector<std::string>& producers, const std::string& forward_layer)
        {
            for (std::size_t i = 0; i < needs.size() && i < grads.size(); ++i)
            {
                if (!needs[i] || !grads[i].defined())
                {
                    continue;
                }
                const non_finite f = count_non_finite(grads[i].data());
                if (f.first < 0)
                {
                    continue;
                }
                const std::string& producer = producers[i];
                throw anomaly_error(str(
                    "anomaly: the backward of '", op, "' returned ", describe(f, grads[i].numel()),
                    " in the gradient for input ", i, " of shape ", shape_str(grads[i].shape()), "; that input was produced by ",
                    producer.empty() ? std::string("a leaf (a parameter or an input with requires_grad)")
                                     : "'" + producer + "'",
                    "; the forward of '", op, "' ran", in_layer(forward_layer)));
            }
        }
    }

    void set_detect_anomaly(bool enabled) { detail::g_detect_anomaly.store(enabled); }
    bool is_anomaly_enabled() { return detail::g_detect_anomaly.load(); }
}
