// autoencoder: trains a small convolutional autoencoder to reconstruct the toy segmentation
// shapes through an 8x16x16 code, on the CPU in a couple of minutes, writing the metrics, the
// validation reconstructions, the PSNR curves and a code-interpolation figure into --out.
//   autoencoder                          # the default run: 64x64 images, 30 epochs
//   autoencoder --epochs 4 --image-size 32 --out /tmp/ae
// Bad command-line values print what is wrong and the usage and exit with status 2; any
// other failure (an unwritable folder) prints the reason and exits 1.
#include "run.hpp"

#include <adjoint/adjoint.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <thread>

using namespace adjoint::examples;

namespace
{
    int usage_error(const CLI::App& app, const std::string& what)
    {
        std::cerr << "autoencoder: " << what << "\n\n" << app.help();
        return 2;
    }
}

int main(int argc, char** argv)
{
    autoencoder_config cfg;
    cfg.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    CLI::App app{"Train a convolutional autoencoder (ConvTranspose2d decoder) on the toy segmentation shapes."};
    app.add_option("--epochs", cfg.epochs, "Epochs")->capture_default_str()->check(CLI::Range(1, 100000));
    app.add_option("--batch-size", cfg.batch_size, "Images per step")->capture_default_str()->check(CLI::Range(1, 4096));
    app.add_option("--image-size", cfg.image_size, "Side of the synthetic images, a multiple of 4")
        ->capture_default_str()->check(CLI::Range(8, 1024));
    app.add_option("--train-size", cfg.train_size, "Synthetic training images")->capture_default_str()->check(CLI::Range(1, 1000000));
    app.add_option("--val-size", cfg.val_size, "Synthetic validation images")->capture_default_str()->check(CLI::Range(1, 1000000));
    app.add_option("--lr", cfg.lr, "Adam learning rate")->capture_default_str()->check(CLI::Range(1e-12, 10.0));
    app.add_option("--threads", cfg.threads, "Threads for the kernels (adjoint::set_num_threads)")
        ->capture_default_str()->check(CLI::Range(1, 1024));
    app.add_option("--seed", cfg.seed, "Seed of the data, the initial weights and the shuffling")->capture_default_str();
    app.add_option("--out", cfg.out, "Output folder: metrics.csv, reconstructions.png, curves.png, interpolation.png")
        ->capture_default_str();

    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::CallForHelp& e)
    {
        return app.exit(e);
    }
    catch (const CLI::ParseError& e)
    {
        return usage_error(app, e.what());
    }
    if (cfg.image_size % 4 != 0)
    {
        return usage_error(app, "--image-size: a multiple of 4 (two stride-2 stages), got " + std::to_string(cfg.image_size));
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
