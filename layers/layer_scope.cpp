// The layer scope behind Module::guarded: which layer is running on this thread, errors that
// name the layer once (by the innermost layer inside a model), and the per-layer records an
// active summary() collects. Thread-local, so models in different threads do not mix.
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

        // Rethrows the current exception with `prefix` in front of its message, keeping its
        // standard category (so `catch (std::invalid_argument&)` still catches it).
        [[noreturn]] void rethrow_with(const std::string& prefix)
        {
            try
            {
                throw;
            }
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
    }

    layer_scope::~layer_scope() { --t_depth; }

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

    summary_recorder::summary_recorder(std::vector<summary_row>& rows) : m_previous(t_rows) { t_rows = &rows; }
    summary_recorder::~summary_recorder() { t_rows = m_previous; }
}
