// ConvAutoencoder: the autoencoder example's model, as modules. It squeezes an RGB image
// into a small feature map (the code) and reconstructs the image from that map alone with
// transposed convolutions.
//   encoder  conv(3->16, k3 s2 p1) + ReLU, conv(16->32, k3 s2 p1) + ReLU, conv(32->8, k3 s1 p1)
//            (the code: [N, 8, H/4, W/4], 8x16x16 for 64x64 input, no activation)
//   decoder  convT(8->32, k4 s2 p1) + ReLU, convT(32->16, k4 s2 p1) + ReLU, conv(16->3, k3 p1)
//            + sigmoid (pixels in [0, 1])
// Input height and width must be multiples of 4 (two stride-2 stages and back).
// Not here: the loss, the data, training.
#pragma once
#include <adjoint/adjoint.hpp>

#include <memory>
#include <string>

namespace adjoint::examples
{
    class ConvAutoencoder : public Module
    {
    public:
        static constexpr std::int64_t code_channels = 8;

        ConvAutoencoder()
        {
            m_enc1 = register_module("enc1", std::make_shared<Conv2d>(Conv2dOptions(3, 16, 3).stride(2).padding(1)));
            m_enc2 = register_module("enc2", std::make_shared<Conv2d>(Conv2dOptions(16, 32, 3).stride(2).padding(1)));
            m_enc3 = register_module("enc3", std::make_shared<Conv2d>(Conv2dOptions(32, code_channels, 3).padding(1)));
            m_dec1 = register_module(
                "dec1", std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(code_channels, 32, 4).stride(2).padding(1)));
            m_dec2 = register_module("dec2", std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(32, 16, 4).stride(2).padding(1)));
            m_head = register_module("head", std::make_shared<Conv2d>(Conv2dOptions(16, 3, 3).padding(1)));
        }

        // [N, 3, H, W] -> the code [N, 8, H/4, W/4].
        Tensor encode(const Tensor& x) { return m_enc3->forward(relu(m_enc2->forward(relu(m_enc1->forward(x))))); }
        // A code [N, 8, h, w] (from encode, or anything of that shape) -> [N, 3, 4h, 4w] in [0, 1].
        Tensor decode(const Tensor& code)
        {
            return sigmoid(m_head->forward(relu(m_dec2->forward(relu(m_dec1->forward(code))))));
        }
        Tensor forward(const Tensor& x) { return decode(encode(x)); }
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::string type_name() const override { return "ConvAutoencoder"; }

    private:
        std::shared_ptr<Conv2d> m_enc1, m_enc2, m_enc3, m_head;
        std::shared_ptr<ConvTranspose2d> m_dec1, m_dec2;
    };
}
