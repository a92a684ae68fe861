// toy_segmentation: trains TinySeg, a tiny encoder-decoder, end to end on a synthetic
// segmentation set (or your own images) on the CPU in minutes, writing the metrics, a
// montage of validation predictions, the training curves and checkpoints into --out.
//   toy_segmentation                      # the default run: binary masks, 64x64 images
//   toy_segmentation --classes --unet     # one class per shape kind, skip connections
//   toy_segmentation --epochs 20 --resume # continue the last run to 20 epochs in total
//   toy_segmentation --predict img.png --checkpoint runs/toy_segmentation/best.safetensors
//   mpirun -np 2 toy_segmentation --distributed   # data-parallel over 2 MPI ranks
// Bad command-line values print what is wrong and the usage and exit with status 2; any
// other failure (an unreadable file, a mismatched checkpoint) prints the reason and exits 1.
#include "training.hpp"

#include <common/cli.hpp>
#ifdef TOY_SEGMENTATION_DISTRIBUTED
#include "mpi_replicas.hpp"
#endif

#include <iostream>

using namespace adjoint::examples;

namespace
{
#ifdef TOY_SEGMENTATION_DISTRIBUTED
    // One rank of `mpirun -np N toy_segmentation --distributed`: rank 0 prints and writes the
    // files; a failure on any rank stops the whole job with its message (MPI_Abort) instead
    // of leaving the other ranks waiting in a collective.
    int train_distributed(run_config cfg, bool threads_given, int& argc, char**& argv)
    {
        namespace dist = adjoint::distributed;
        dist::mpi_environment mpi(argc, argv);
        try
        {
            dist::process_group group;
            if (!threads_given)
            {
                // The ranks on this machine share its cores.
                cfg.threads = static_cast<int>(std::max(1u, cores() / static_cast<unsigned>(group.local_size())));
            }
            mpi_replicas replicas(group);
            std::ostream silent(nullptr);
            train(cfg, group.rank() == 0 ? std::cout : silent, replicas);
        }
        catch (const std::exception& e)
        {
            dist::mpi_environment::abort(std::string("toy_segmentation: ") + e.what());
        }
        return 0;
    }
#endif
}

int main(int argc, char** argv)
{
    run_config cfg;
    cfg.threads = static_cast<int>(cores());
    bool distributed_run = false;
    std::string write_dir, predict_image, checkpoint_path, dump_dir;

    CLI::App app{"Train TinySeg, a tiny encoder-decoder, on toy segmentation (or your own images)."};
    CLI::Option* threads =
        add_training_options(app, cfg, "Epochs in total (with --resume: up to this many)",
                             "Threads for the kernels (adjoint::set_num_threads); with --distributed, per rank",
                             "Output folder: metrics.csv, montage.png, curves.png, checkpoints");
    app.add_option("--warmup-steps", cfg.warmup_steps, "Steps of linear learning-rate warm-up (then constant --lr)")
        ->capture_default_str()->check(CLI::Range(0, 100000000));
    app.add_option("--pos-weight", cfg.pos_weight, "Binary: BCE weight of the foreground pixels (1: plain BCE)")
        ->capture_default_str()->check(CLI::Range(1e-6, 1e6));
    app.add_flag("--resume", cfg.resume, "Continue from OUT/last.safetensors (same settings, more --epochs)");
    app.add_flag("--unet", cfg.unet, "Skip connections by concatenation (U-Net style)");
    app.add_flag("--classes", cfg.classes, "One class per shape kind instead of a binary mask");
    app.add_flag("--batchnorm", cfg.batchnorm, "BatchNorm2d after each conv and convT but the last 1x1 conv");
    app.add_flag("--dice,!--no-dice", cfg.dice, "Add the Dice loss to the cross-entropy (the default; --no-dice: without)")
        ->capture_default_str();
    app.add_option("--data", cfg.data, "Train on DIR/images/*.png|jpg with DIR/masks/*.png (grey level = class)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--write-dataset", write_dir, "Write the synthetic set as DIR/images, DIR/masks and exit");
    app.add_option("--predict", predict_image, "Predict the mask of IMAGE (needs --checkpoint) and exit")
        ->check(CLI::ExistingFile);
    app.add_option("--checkpoint", checkpoint_path, "Checkpoint for --predict / --dump-validation");
    app.add_option("--dump-validation", dump_dir, "Write the checkpoint's validation images and logits as .npy into DIR");
    app.add_flag("--distributed", distributed_run,
                 "Train data-parallel over the ranks of mpirun -np N: each step's batch is split among them "
                 "(default threads per rank: the cores / the ranks on this machine)");

    if (const auto status = parse_command_line(app, argc, argv, "toy_segmentation", cfg.image_size))
    {
        return *status;
    }
    if ((!predict_image.empty() || !dump_dir.empty()) && checkpoint_path.empty())
    {
        return usage_error(app, "toy_segmentation", "--predict and --dump-validation need --checkpoint FILE");
    }
    if (!predict_image.empty() && !dump_dir.empty())
    {
        return usage_error(app, "toy_segmentation", "--predict and --dump-validation: one at a time");
    }
    if (distributed_run && (!predict_image.empty() || !dump_dir.empty() || !write_dir.empty()))
    {
        return usage_error(app, "toy_segmentation", "--distributed is for training; --predict, --dump-validation and --write-dataset run alone");
    }
    if (distributed_run)
    {
#ifdef TOY_SEGMENTATION_DISTRIBUTED
        return train_distributed(cfg, threads->count() > 0, argc, argv);
#else
        (void)threads;
        std::cerr << "toy_segmentation: --distributed: this build has no MPI (adjoint::distributed was not built); "
                     "install libopenmpi-dev and openmpi-bin and build again\n";
        return 1;
#endif
    }

    try
    {
        adjoint::set_num_threads(cfg.threads);
        if (!predict_image.empty())
        {
            predict(predict_image, checkpoint_path, std::cout);
        }
        else if (!dump_dir.empty())
        {
            dump_validation(checkpoint_path, dump_dir, std::cout);
        }
        else if (!write_dir.empty())
        {
            const dataset data = load_data(cfg);
            write_dataset(data, write_dir);
            std::cout << "wrote " << data.train.size() << " training and " << data.validation.size()
                      << " validation images with their masks to " << write_dir << "/images and " << write_dir << "/masks\n";
        }
        else
        {
            train(cfg, std::cout);
        }
    }
    catch (const std::exception& e)
    {
        std::cerr << "toy_segmentation: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
