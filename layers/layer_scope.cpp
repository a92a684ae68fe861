// The layer scope behind Module::guarded: which layer is running on this thread, errors that
// name the layer once (by the innermost layer inside a model), and the per-layer records an
// active summary() collects. Thread-local, so models in different threads do not mix.
// It also tells anomaly mode (autograd/anomaly.hpp) which layer is running.
#include <adjoint/autograd/anomaly.hpp>
#include <adjoint/layers/module.hpp>
#include <adjoint/layers/summary.hpp>

#include <exception>
#include <stdexcept>

namespace adjoint::detail
{
    namespace
    {
        thread_local int t_depth = 0;          // nested layer scopes on this thread
        thread_local bool t_located = false;   // the exception in flight already names its layer
        thread_local std::vector<summary_row>* t_rows = nullptr;
        thread_local std::vector<const Module*> t_layers;   // the running layers, innermost last

        // For anomaly mode's messages: "decoder.1 (Conv2d)", "<root> (TinySeg)" for a model's
        // own forward, "" outside any layer. Only called when the mode is on and finds something.
        std::string innermost_layer_path()
        {
            if (t_layers.empty())
            {
                return "";
            }
            const Module& layer = *t_layers.back();
            const std::string path = layer.path();
            return (path.empty() ? std::string("<root>") : path) + " (" + layer.type_name() + ")";
        }

        // Installed once, when the library is loaded.
        const bool g_provider_installed = (set_layer_path_provider(&innermost_layer_path), true);

        // Rethrows the current exception with `prefix` in front of its message, keeping its
        // standard category (so `catch (std::invalid_argument&)` still catches it).
        [[noreturn]] void rethrow_with(const std::string& prefix)
        {
            try
            {
                throw;
            }
            catch (const anomaly_error&) { throw; }   // it names its layer already
            catch (const std::invalid_argument& e) { throw std::invalid_argument(prefix + e.what()); }
            catch (const std::out_of_range& e) { throw std::out_of_range(prefix + e.what()); }
            catch (const std::length_error& e) { throw std::length_error(prefix + e.what()); }
            catch (const std::domain_error& e) { throw std::domain_error(prefix + e.what()); }
            catch (const std::logic_error& e) { throw std::logic_error(prefix + e.what()); }
            catch (const std::runtime_error& e) { throw std::runtime_error(prefix + e.what()); }
            // Anything else (bad_alloc, a user's own type) passes through unchanged.
        }
    }

    layer_scope::layer_scope(const Module& layer) : m_layer(layer)
    {
        if (t_depth++ == 0)
        {
            t_located = false;
        }
        t_layers.push_back(&layer);
        (void)g_provider_installed;
    }

    layer_scope::~layer_scope()
    {
        t_layers.pop_back();
        --t_depth;
    }

    void layer_scope::finished(const Tensor& output) const
    {
        if (t_rows != nullptr)
        {
            std::int64_t count = 0;
            for (const auto& p : m_layer.parameters())
            {
                count += p.numel();
            }
            t_rows->push_back({m_layer.path(), m_layer.type_name(), output.shape(), count});
        }
    }

    void layer_scope::rethrow_located() const
    {
        const std::string path = m_layer.path();
        if (t_located || path.empty())
        {
            throw;
        }
        t_located = true;
        rethrow_with(path + " (" + m_layer.type_name() + "): ");
    }

    bool summary_active() { return t_rows != nullptr; }

    summary_recorder::summary_recorder(std::vector<summary_row>& rows) : m_previous(t_rows) { t_rows = &rows; }
    summary_recorder::~summary_recorder() { t_rows = m_previous; }
}
