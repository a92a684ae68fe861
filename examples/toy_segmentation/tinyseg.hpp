// TinySeg: the toy segmentation example's encoder-decoder, as modules, shared by the
// program, its tests and compare_torch.py's PyTorch twin (same child names, so checkpoints
// carry torch's keys: enc1.conv.weight, dec2.conv.bias, head.weight, ...).
//   encoder  conv(3->16, k3 s1 p1) conv(16->32, k3 s2 p1) conv(32->64, k3 s2 p1), each + ReLU
//   decoder  convT(64->32, k4 s2 p1) convT(32->16, k4 s2 p1), each + ReLU; head conv(16->C, k1)
// With unet, each decoder block concatenates the encoder output of its resolution (skip
// connections along channels), so the decoder's second block and the head see twice the
// channels. With batchnorm, every conv and convT but the head is followed by a BatchNorm2d
// (child "bn": enc1.bn.running_mean, ...) before its ReLU, and loses its bias (the
// BatchNorm's shift replaces it). Input height and width must be multiples of 4 (two
// stride-2 stages).
// Not here: the loss, metrics, data.
#pragma once
#include <adjoint/adjoint.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace adjoint::examples
{
    struct TinySegOptions
    {
        std::int64_t in_channels = 3;
        std::int64_t out_channels = 1;   // 1: binary logits; C > 1: one logit per class
        bool unet = false;               // skip connections by concatenation
        bool batchnorm = false;          // BatchNorm2d after each conv / convT but the head
    };

    // conv (+ BatchNorm2d) + ReLU: one encoder stage.
    class ConvReLU : public Module
    {
    public:
        ConvReLU(Conv2dOptions options, bool batchnorm)
        {
            m_conv = register_module("conv", std::make_shared<Conv2d>(options.bias(!batchnorm)));
            if (batchnorm)
            {
                m_bn = register_module("bn", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(options.out_channels())));
            }
        }
        Tensor forward(const Tensor& x)
        {
            // Without batch norm the relu runs inside the convolution's output pass.
            return m_bn ? relu(m_bn->forward(m_conv->forward(x))) : m_conv->forward_relu(x);
        }
        std::string type_name() const override { return "ConvReLU"; }

    private:
        std::shared_ptr<Conv2d> m_conv;
        std::shared_ptr<BatchNorm2d> m_bn;   // null without batchnorm
    };

    // convT (+ BatchNorm2d) + ReLU, then (when given) the skip tensor of the output's resolution appended
    // along channels: [N, out + skip_channels, 2H, 2W].
    class UpBlock : public Module
    {
    public:
        UpBlock(ConvTranspose2dOptions options, bool batchnorm)
        {
            m_conv = register_module("conv", std::make_shared<ConvTranspose2d>(options.bias(!batchnorm)));
            if (batchnorm)
            {
                m_bn = register_module("bn", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(options.out_channels())));
            }
        }
        Tensor forward(const Tensor& x, const Tensor& skip = Tensor())
        {
            const Tensor y = m_bn ? relu(m_bn->forward(m_conv->forward(x))) : m_conv->forward_relu(x);
            return skip.defined() ? cat({y, skip}, 1) : y;
        }
        std::string type_name() const override { return "UpBlock"; }

    private:
        std::shared_ptr<ConvTranspose2d> m_conv;
        std::shared_ptr<BatchNorm2d> m_bn;   // null without batchnorm
    };

    class TinySeg : public Module
    {
    public:
        explicit TinySeg(const TinySegOptions& options = {}) : m_options(options)
        {
            if (options.in_channels < 1 || options.out_channels < 1)
            {
                throw std::invalid_argument(detail::str("TinySeg: in_channels and out_channels >= 1, got ",
                                                        options.in_channels, " and ", options.out_channels));
            }
            const std::int64_t widen = options.unet ? 2 : 1;
            const bool bn = options.batchnorm;
            m_enc1 = register_module("enc1", std::make_shared<ConvReLU>(Conv2dOptions(options.in_channels, 16, 3).padding(1), bn));
            m_enc2 = register_module("enc2", std::make_shared<ConvReLU>(Conv2dOptions(16, 32, 3).stride(2).padding(1), bn));
            m_enc3 = register_module("enc3", std::make_shared<ConvReLU>(Conv2dOptions(32, 64, 3).stride(2).padding(1), bn));
            m_dec1 = register_module("dec1", std::make_shared<UpBlock>(ConvTranspose2dOptions(64, 32, 4).stride(2).padding(1), bn));
            m_dec2 = register_module("dec2",
                                     std::make_shared<UpBlock>(ConvTranspose2dOptions(32 * widen, 16, 4).stride(2).padding(1), bn));
            m_head = register_module("head", std::make_shared<Conv2d>(Conv2dOptions(16 * widen, options.out_channels, 1)));
        }

        // x: [N, in_channels, H, W] with H, W multiples of 4 -> logits [N, out_channels, H, W].
        Tensor forward(const Tensor& x)
        {
            if (x.dim() != 4 || x.size(2) % 4 != 0 || x.size(3) % 4 != 0)
            {
                throw std::invalid_argument(detail::str(
                    "TinySeg: an input [N, C, H, W] with H and W multiples of 4, got ", shape_str(x.shape())));
            }
            const Tensor e1 = m_enc1->forward(x);
            const Tensor e2 = m_enc2->forward(e1);
            const Tensor e3 = m_enc3->forward(e2);
            const Tensor d1 = m_dec1->forward(e3, m_options.unet ? e2 : Tensor());
            const Tensor d2 = m_dec2->forward(d1, m_options.unet ? e1 : Tensor());
            return m_head->forward(d2);
        }
        Tensor operator()(const Tensor& x) { return forward(x); }

        std::string type_name() const override { return "TinySeg"; }
        std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<TinySeg>(m_options)); }
        const TinySegOptions& options() const { return m_options; }

    private:
        TinySegOptions m_options;
        std::shared_ptr<ConvReLU> m_enc1, m_enc2, m_enc3;
        std::shared_ptr<UpBlock> m_dec1, m_dec2;
        std::shared_ptr<Conv2d> m_head;
    };
}
