// Upsample: the layer form of interpolate (autograd/interpolate.hpp), configured with size or
// scale_factor, mode and align_corners exactly as the functional call; no parameters. The
// options are checked when forward runs, as torch.nn.Upsample does.
#pragma once
#include <adjoint/autograd/interpolate.hpp>
#include <adjoint/layers/module.hpp>

#include <string>

namespace adjoint
{
    // UpsampleOptions().scale_factor(2).mode("bilinear").align_corners(true)
    using UpsampleOptions = interpolate_options;

    class Upsample : public Module
    {
    public:
        explicit Upsample(const UpsampleOptions& options) : m_options(options) {}

        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        // As torch.nn.Upsample: "scale_factor=2.0, mode=nearest" or "size=(4, 5), mode=bilinear"
        // (align_corners is not printed).
        std::string extra_repr() const override;
        std::shared_ptr<Module> clone() const override;
        const UpsampleOptions& options() const { return m_options; }

    private:
        UpsampleOptions m_options;
    };
}
