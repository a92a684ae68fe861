// autoencoder: trains a small convolutional autoencoder to reconstruct the toy segmentation
// shapes through an 8x16x16 code, on the CPU in a couple of minutes, writing the metrics, the
// validation reconstructions, the PSNR curves and a code-interpolation figure into --out.
//   autoencoder                          # the default run: 64x64 images, 30 epochs
//   autoencoder --epochs 4 --image-size 32 --out /tmp/ae
// Bad command-line values print what is wrong and the usage and exit with status 2; any
// other failure (an unwritable folder) prints the reason and exits 1.
#include "run.hpp"

#include <adjoint/adjoint.hpp>
#include <common/cli.hpp>

#include <iostream>

using namespace adjoint::examples;

int main(int argc, char** argv)
{
    autoencoder_config cfg;
    cfg.threads = static_cast<int>(cores());

    CLI::App app{"Train a convolutional autoencoder (ConvTranspose2d decoder) on the toy segmentation shapes."};
    add_training_options(app, cfg, "Epochs", "Threads for the kernels (adjoint::set_num_threads)",
                         "Output folder: metrics.csv, reconstructions.png, curves.png, interpolation.png");
    if (const auto status = parse_command_line(app, argc, argv, "autoencoder", cfg.image_size))
    {
        return *status;
    }

    try
    {
        train_autoencoder(cfg, std::cout);
    }
    catch (const std::exception& e)
    {
        std::cerr << "autoencoder: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
