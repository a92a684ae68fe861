// Linear, Flatten and Identity layers. Linear holds weight [out_features, in_features] and
// bias [out_features] with PyTorch's default initialisation; forward() calls autograd's
// linear(), where the input's shape is checked. Flatten and Identity hold nothing.
#pragma once
#include <adjoint/autograd/linear.hpp>
#include <adjoint/autograd/shape_ops.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>

namespace adjoint
{
    // LinearOptions(20, 5).bias(false). Setters return *this; getters share the name.
    class LinearOptions
    {
    public:
        LinearOptions(std::int64_t in_features, std::int64_t out_features)
            : m_in_features(in_features), m_out_features(out_features)
        {
        }
        LinearOptions& bias(bool on) { m_bias = on; return *this; }
        std::int64_t in_features() const { return m_in_features; }
        std::int64_t out_features() const { return m_out_features; }
        bool bias() const { return m_bias; }

    private:
        std::int64_t m_in_features, m_out_features;
        bool m_bias = true;
    };

    // y = x W^T + b for x: (..., in_features).
    class Linear : public Module
    {
    public:
        explicit Linear(const LinearOptions& options);   // feature counts must be non-negative

        Tensor forward(const Tensor& x) { return guarded([&] { return linear(x, m_weight, m_bias); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "in_features=20, out_features=5, bias=True"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Linear>(m_options)); }

        const LinearOptions& options() const { return m_options; }
        Tensor weight() const { return m_weight; }
        Tensor bias() const { return m_bias; }   // undefined with bias(false)
        // Redraws the parameters as torch.nn.Linear does: kaiming_uniform_(a = sqrt(5)), which
        // is uniform in +-1/sqrt(in_features), and the bias uniform in the same bound (0 when
        // in_features is 0).
        void reset_parameters();

    private:
        LinearOptions m_options;
        Tensor m_weight, m_bias;
    };

    class FlattenOptions
    {
    public:
        FlattenOptions& start_dim(std::int64_t d) { m_start_dim = d; return *this; }
        FlattenOptions& end_dim(std::int64_t d) { m_end_dim = d; return *this; }
        std::int64_t start_dim() const { return m_start_dim; }
        std::int64_t end_dim() const { return m_end_dim; }

    private:
        std::int64_t m_start_dim = 1;
        std::int64_t m_end_dim = -1;
    };

    // Merges dimensions start_dim..end_dim (by default all but the batch dimension).
    class Flatten : public Module
    {
    public:
        explicit Flatten(const FlattenOptions& options = {}) : m_options(options) {}
        Tensor forward(const Tensor& x)
        {
            return guarded([&] { return flatten(x, m_options.start_dim(), m_options.end_dim()); });
        }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "start_dim=1, end_dim=-1"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Flatten>(m_options)); }
        const FlattenOptions& options() const { return m_options; }

    private:
        FlattenOptions m_options;
    };

    // Returns its input (the same tensor): a placeholder where a model wants no layer.
    class Identity : public Module
    {
    public:
        Tensor forward(const Tensor& x) { return x; }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Identity>()); }
    };
}
