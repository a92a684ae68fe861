// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d. They hold no parameters or buffers;
// forward() calls the functional op of autograd/pooling.hpp, which checks the input. extra_repr
// prints as torch.nn does, a pair whose two entries are equal as one number (torch.nn prints
// what it was given; MaxPool2d(2) and MaxPool2d((2, 2)) are the same layer here).
#pragma once
#include <adjoint/autograd/pooling.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace adjoint
{
    // MaxPool2dOptions(3).stride(2).padding(1); return_indices as in torch.nn.MaxPool2d: the
    // indices come from forward_with_indices(), which any MaxPool2d has; forward() (the one
    // Sequential calls) returns the values only.
    class MaxPool2dOptions
    {
    public:
        explicit MaxPool2dOptions(std::int64_t k) : m_functional(k) {}
        MaxPool2dOptions(std::int64_t kh, std::int64_t kw) : m_functional(kh, kw) {}

        MaxPool2dOptions& stride(std::int64_t s) { m_functional.stride(s); return *this; }
        MaxPool2dOptions& stride(std::int64_t h, std::int64_t w) { m_functional.stride(h, w); return *this; }
        MaxPool2dOptions& padding(std::int64_t p) { m_functional.padding(p); return *this; }
        MaxPool2dOptions& padding(std::int64_t h, std::int64_t w) { m_functional.padding(h, w); return *this; }
        MaxPool2dOptions& dilation(std::int64_t d) { m_functional.dilation(d); return *this; }
        MaxPool2dOptions& dilation(std::int64_t h, std::int64_t w) { m_functional.dilation(h, w); return *this; }
        MaxPool2dOptions& ceil_mode(bool on) { m_functional.ceil_mode(on); return *this; }
        MaxPool2dOptions& return_indices(bool on) { m_return_indices = on; return *this; }

        const pair_t& kernel_size() const { return m_functional.kernel_size(); }
        pair_t stride() const { return m_functional.stride(); }
        const pair_t& padding() const { return m_functional.padding(); }
        const pair_t& dilation() const { return m_functional.dilation(); }
        bool ceil_mode() const { return m_functional.ceil_mode(); }
        bool return_indices() const { return m_return_indices; }
        const max_pool2d_options& functional() const { return m_functional; }

    private:
        max_pool2d_options m_functional;
        bool m_return_indices = false;
    };

    class MaxPool2d : public Module
    {
    public:
        explicit MaxPool2d(const MaxPool2dOptions& options) : m_options(options) {}

        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        values_and_indices forward_with_indices(const Tensor& x);
        // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const MaxPool2dOptions& options() const { return m_options; }

    private:
        MaxPool2dOptions m_options;
    };

    using AvgPool2dOptions = avg_pool2d_options;   // no layer-only settings

    class AvgPool2d : public Module
    {
    public:
        explicit AvgPool2d(const AvgPool2dOptions& options) : m_options(options) {}

        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        // "kernel_size=3, stride=2, padding=1" (torch.nn prints no more)
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const AvgPool2dOptions& options() const { return m_options; }

    private:
        AvgPool2dOptions m_options;
    };

    class AdaptiveAvgPool2d : public Module
    {
    public:
        explicit AdaptiveAvgPool2d(std::int64_t output_size) : m_output_size{output_size, output_size} {}
        explicit AdaptiveAvgPool2d(const pair_t& output_size) : m_output_size(output_size) {}

        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "output_size=(2, 3)", "output_size=3"
        std::shared_ptr<Module> clone() const override;
        const pair_t& output_size() const { return m_output_size; }

    private:
        pair_t m_output_size;
    };

    namespace detail
    {
        // "3" for (3, 3), "(2, 3)" otherwise: how the pooling layers print a pair.
        std::string pool_pair_str(const pair_t& p);
    }
}
