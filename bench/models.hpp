// The whole-model cases of conv_bench: TinySeg (the segmentation net) and the small
// encoder-decoder of the libtorch comparison, each as a training step (forward, BCE with
// logits against a fixed random 0/1 mask, backward, Adam lr 1e-3) and as an inference
// forward (no graph). Built from layers/ (a Sequential, as a user would write it) so the bench
// depends on nothing in examples/; bench/run.py builds the same models in PyTorch from the
// JSON of --list.
#pragma once
#include "model_specs.hpp"

#include <adjoint/adjoint.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench
{
    using namespace adjoint;
    using namespace bench_specs;

    // The model as one Sequential, relu between the layers (not after the last): the timed
    // model below, bench/soak.cpp and bench/distributed_bench.cpp.
    inline std::shared_ptr<Sequential> sequential(const std::string& name)
    {
        auto net = std::make_shared<Sequential>();
        const std::vector<model_layer> layers = model_layers(name);
        for (std::size_t i = 0; i < layers.size(); ++i)
        {
            const model_layer& l = layers[i];
            if (l.transpose)
            {
                net->push_back(std::make_shared<ConvTranspose2d>(
                    ConvTranspose2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding)));
            }
            else
            {
                net->push_back(
                    std::make_shared<Conv2d>(Conv2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding)));
            }
            if (i + 1 < layers.size())
            {
                net->push_back(std::make_shared<ReLU>());
            }
        }
        return net;
    }

    // The model as a user writes it (one Sequential, so each conv + ReLU pair runs fused).
    class model
    {
    public:
        model(const std::string& name, std::int64_t n, std::int64_t h) : m_net(sequential(name))
        {
            m_x = randn({n, model_layers(name).front().in, h, h});
            no_grad_guard no_grad;
            m_target = (rand(forward().shape()) > 0.5).to(float32);
            m_adam = std::make_unique<optim::Adam>(m_net->parameters(), optim::AdamOptions(1e-3));
        }

        Tensor forward() const { return m_net->forward(m_x); }

        void infer() const
        {
            no_grad_guard no_grad;
            forward();
        }

        void train_step()
        {
            m_adam->zero_grad();
            binary_cross_entropy_with_logits(forward(), m_target).backward();
            m_adam->step();
        }

    private:
        std::shared_ptr<Sequential> m_net;
        Tensor m_x, m_target;
        std::unique_ptr<optim::Adam> m_adam;
    };
}
