// Activation and dropout layers: thin modules over autograd's free functions (activation.hpp,
// elementwise.hpp, dropout.hpp), with PyTorch's names, defaults and printing (extra_repr).
// They hold no parameters; their options are checked when the layer is built. Dropout and
// Dropout2d are the identity in eval mode (is_training()). No inplace option.
#pragma once
#include <adjoint/autograd/activation.hpp>
#include <adjoint/autograd/dropout.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/layers/module.hpp>

#include <cstdint>
#include <string>

namespace adjoint
{
    // Options: setters return *this, getters share the name; the main value also converts
    // implicitly, so LeakyReLU(0.2), ELU(0.5), Dropout(0.3) read as in PyTorch.
    class LeakyReLUOptions
    {
    public:
        LeakyReLUOptions(double negative_slope = 0.01) : m_negative_slope(negative_slope) {}
        LeakyReLUOptions& negative_slope(double v) { m_negative_slope = v; return *this; }
        double negative_slope() const { return m_negative_slope; }

    private:
        double m_negative_slope;
    };

    class ELUOptions
    {
    public:
        ELUOptions(double alpha = 1.0) : m_alpha(alpha) {}
        ELUOptions& alpha(double v) { m_alpha = v; return *this; }
        double alpha() const { return m_alpha; }

    private:
        double m_alpha;
    };

    class GELUOptions
    {
    public:
        GELUOptions(std::string approximate = "none") : m_approximate(std::move(approximate)) {}
        GELUOptions(const char* approximate) : m_approximate(approximate) {}
        GELUOptions& approximate(std::string v) { m_approximate = std::move(v); return *this; }
        const std::string& approximate() const { return m_approximate; }   // "none" or "tanh"

    private:
        std::string m_approximate;
    };

    class SoftplusOptions
    {
    public:
        SoftplusOptions& beta(double v) { m_beta = v; return *this; }
        SoftplusOptions& threshold(double v) { m_threshold = v; return *this; }
        double beta() const { return m_beta; }
        double threshold() const { return m_threshold; }

    private:
        double m_beta = 1.0;
        double m_threshold = 20.0;
    };

    class DropoutOptions
    {
    public:
        DropoutOptions(double p = 0.5) : m_p(p) {}
        DropoutOptions& p(double v) { m_p = v; return *this; }
        double p() const { return m_p; }

    private:
        double m_p;
    };

    class ReLU : public Module
    {
    public:
        Tensor forward(const Tensor& x) { return guarded([&] { return relu(x); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<ReLU>()); }
    };

    class Sigmoid : public Module
    {
    public:
        Tensor forward(const Tensor& x) { return guarded([&] { return sigmoid(x); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Sigmoid>()); }
    };

    class Tanh : public Module
    {
    public:
        Tensor forward(const Tensor& x) { return guarded([&] { return tanh(x); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Tanh>()); }
    };

    class SiLU : public Module
    {
    public:
        Tensor forward(const Tensor& x) { return guarded([&] { return silu(x); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<SiLU>()); }
    };

    class LeakyReLU : public Module
    {
    public:
        explicit LeakyReLU(const LeakyReLUOptions& options = {}) : m_options(options) {}
        Tensor forward(const Tensor& x) { return guarded([&] { return leaky_relu(x, m_options.negative_slope()); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "negative_slope=0.01"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<LeakyReLU>(m_options)); }
        const LeakyReLUOptions& options() const { return m_options; }

    private:
        LeakyReLUOptions m_options;
    };

    class ELU : public Module
    {
    public:
        explicit ELU(const ELUOptions& options = {}) : m_options(options) {}
        Tensor forward(const Tensor& x) { return guarded([&] { return elu(x, m_options.alpha()); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "alpha=1.0"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<ELU>(m_options)); }
        const ELUOptions& options() const { return m_options; }

    private:
        ELUOptions m_options;
    };

    class GELU : public Module
    {
    public:
        explicit GELU(const GELUOptions& options = {});   // approximate must be "none" or "tanh"
        Tensor forward(const Tensor& x) { return guarded([&] { return gelu(x, m_options.approximate()); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "approximate='none'"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<GELU>(m_options)); }
        const GELUOptions& options() const { return m_options; }

    private:
        GELUOptions m_options;
    };

    class Softplus : public Module
    {
    public:
        explicit Softplus(const SoftplusOptions& options = {});   // beta must be non-zero
        Tensor forward(const Tensor& x)
        {
            return guarded([&] { return softplus(x, m_options.beta(), m_options.threshold()); });
        }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "beta=1, threshold=20"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Softplus>(m_options)); }
        const SoftplusOptions& options() const { return m_options; }

    private:
        SoftplusOptions m_options;
    };

    // Softmax / LogSoftmax along `dim` (required: PyTorch's implicit dim is deprecated).
    class Softmax : public Module
    {
    public:
        explicit Softmax(std::int64_t dim) : m_dim(dim) {}
        Tensor forward(const Tensor& x) { return guarded([&] { return softmax(x, m_dim); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override { return detail::str("dim=", m_dim); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Softmax>(m_dim)); }
        std::int64_t dim() const { return m_dim; }

    private:
        std::int64_t m_dim;
    };

    class LogSoftmax : public Module
    {
    public:
        explicit LogSoftmax(std::int64_t dim) : m_dim(dim) {}
        Tensor forward(const Tensor& x) { return guarded([&] { return log_softmax(x, m_dim); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override { return detail::str("dim=", m_dim); }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<LogSoftmax>(m_dim)); }
        std::int64_t dim() const { return m_dim; }

    private:
        std::int64_t m_dim;
    };

    // Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); the
    // identity in eval mode. 0 <= p <= 1.
    class Dropout : public Module
    {
    public:
        explicit Dropout(const DropoutOptions& options = {});
        Tensor forward(const Tensor& x) { return guarded([&] { return dropout(x, m_options.p(), is_training()); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "p=0.5, inplace=False"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Dropout>(m_options)); }
        const DropoutOptions& options() const { return m_options; }

    private:
        DropoutOptions m_options;
    };

    // Whole channels of (N, C, H, W) or (C, H, W) inputs, as dropout2d.
    class Dropout2d : public Module
    {
    public:
        explicit Dropout2d(const DropoutOptions& options = {});
        Tensor forward(const Tensor& x) { return guarded([&] { return dropout2d(x, m_options.p(), is_training()); }); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string extra_repr() const override;   // "p=0.5, inplace=False"
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Dropout2d>(m_options)); }
        const DropoutOptions& options() const { return m_options; }

    private:
        DropoutOptions m_options;
    };
}
