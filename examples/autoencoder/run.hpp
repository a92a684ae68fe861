// The autoencoder program's work, callable from main.cpp and the tests: training on the toy
// segmentation shapes (images only; the masks are ignored) with per-epoch reconstruction
// error, the pictures, and the code-interpolation figure at the end.
// Not here: checkpoints or resume (a run is a couple of minutes), other data sets.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

namespace adjoint::examples
{
    struct autoencoder_config
    {
        int epochs = 30;
        int batch_size = 16;
        int image_size = 64;
        int train_size = 1024;
        int val_size = 64;
        double lr = 1e-3;
        int threads = 0;   // 0: leave adjoint's default
        std::uint64_t seed = 0;
        std::string out = "runs/autoencoder";
        bool quiet = false;   // no pictures (tests)
    };

    struct autoencoder_result
    {
        double initial_val_mse = 0;   // before the first step
        double first_train_mse = 0;   // the first batch's loss
        double last_train_mse = 0, last_val_mse = 0;   // the last epoch's
    };

    // Trains cfg.epochs epochs with Adam on the MSE between the images (scaled to [0, 1]) and
    // their reconstructions. After every epoch: a progress summary to `log`, a row of
    // OUT/metrics.csv (train / validation MSE and PSNR) and, unless quiet,
    // OUT/reconstructions.png and OUT/curves.png; at the end OUT/interpolation.png.
    autoencoder_result train_autoencoder(const autoencoder_config& cfg, std::ostream& log);

    // Peak signal-to-noise ratio in dB of a mean squared error of pixels in [0, 1].
    double psnr(double mse);
}
