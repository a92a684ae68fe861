// Module: the base of every layer — named parameters, named child modules, train/eval
// mode, dtype conversion. Sequential chains modules. Modules hold state; the maths lives
// in autograd's free functions, which a module's forward() calls.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace adjoint
{
    class Module
    {
    public:
        virtual ~Module() = default;
        virtual Tensor forward(const Tensor& x) = 0;
        Tensor operator()(const Tensor& x) { return forward(x); }

        // Own parameters first, then children's, depth first; names are dotted paths
        // ("0.weight", "encoder.conv1.bias") as in PyTorch's state_dict.
        std::vector<std::pair<std::string, Tensor>> named_parameters() const;
        tensor_list parameters() const;
        const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return m_children; }

        void zero_grad();
        void train(bool on = true);
        void eval() { train(false); }
        bool is_training() const { return m_training; }
        void to(adjoint::dtype dt);   // converts every parameter in place (the handles stay valid)

        virtual std::string type_name() const = 0;   // "Conv2d", shown in errors and summaries

    protected:
        Tensor& register_parameter(const std::string& name, Tensor value);   // marks it requires_grad
        template <class M>
        std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module)
        {
            add_child(name, module);
            return module;
        }

    private:
        void add_child(const std::string& name, std::shared_ptr<Module> module);
        std::vector<std::pair<std::string, Tensor>> m_parameters;
        std::vector<std::pair<std::string, std::shared_ptr<Module>>> m_children;
        bool m_training = true;
    };

    // Applies its modules in order. Children are named "0", "1", ... as in torch.nn.Sequential.
    class Sequential : public Module
    {
    public:
        Sequential() = default;
        Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
        template <class M>
        Sequential& push_back(std::shared_ptr<M> module)
        {
            register_module(std::to_string(children().size()), std::move(module));
            return *this;
        }
        Tensor forward(const Tensor& x) override;
        std::size_t size() const { return children().size(); }
        std::string type_name() const override { return "Sequential"; }
    };
}
