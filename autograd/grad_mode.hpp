// Grad mode: a thread-local switch that says whether ops record themselves on the graph.
// no_grad_guard turns recording off for a scope (inference, optimizer updates);
// enable_grad_guard turns it back on inside such a scope.
#pragma once

namespace adjoint
{
    bool is_grad_enabled();
    void set_grad_enabled(bool enabled);

    class no_grad_guard
    {
    public:
        no_grad_guard() : m_previous(is_grad_enabled()) { set_grad_enabled(false); }
        ~no_grad_guard() { set_grad_enabled(m_previous); }
        no_grad_guard(const no_grad_guard&) = delete;
        no_grad_guard& operator=(const no_grad_guard&) = delete;

    private:
        bool m_previous;
    };

    class enable_grad_guard
    {
    public:
        explicit enable_grad_guard(bool enabled = true) : m_previous(is_grad_enabled()) { set_grad_enabled(enabled); }
        ~enable_grad_guard() { set_grad_enabled(m_previous); }
        enable_grad_guard(const enable_grad_guard&) = delete;
        enable_grad_guard& operator=(const enable_grad_guard&) = delete;

    private:
        bool m_previous;
    };
}
