// The command line the example trainers share (CLI11): the options every trainer has (epochs,
// batch size, image size, set sizes, learning rate, threads, seed, output folder), the
// usage-error exit, and parsing with the checks every trainer makes. Header-only, so the
// examples' common library does not need CLI11; each program adds its own options on top.
// Not here: what a program does with the values.
#pragma once
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace adjoint::examples
{
    inline unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

    // Prints "<program>: <what>", a blank line and the usage; returns the exit status 2.
    inline int usage_error(const CLI::App& app, const std::string& program, const std::string& what)
    {
        std::cerr << program << ": " << what << "\n\n" << app.help();
        return 2;
    }

    // The shared options, into a config with fields epochs, batch_size, image_size,
    // train_size, val_size, lr, threads, seed and out (their current values are the
    // defaults shown). Returns the --threads option, so a caller can tell whether it was given.
    template <class Config>
    CLI::Option* add_training_options(CLI::App& app, Config& cfg, const std::string& epochs_help,
                                      const std::string& threads_help, const std::string& out_help)
    {
        app.add_option("--epochs", cfg.epochs, epochs_help)->capture_default_str()->check(CLI::Range(1, 100000));
        app.add_option("--batch-size", cfg.batch_size, "Images per step")->capture_default_str()->check(CLI::Range(1, 4096));
        app.add_option("--image-size", cfg.image_size, "Side of the synthetic images, a multiple of 4")
            ->capture_default_str()->check(CLI::Range(8, 1024));
        app.add_option("--train-size", cfg.train_size, "Synthetic training images")->capture_default_str()->check(CLI::Range(1, 1000000));
        app.add_option("--val-size", cfg.val_size, "Synthetic validation images")->capture_default_str()->check(CLI::Range(1, 1000000));
        app.add_option("--lr", cfg.lr, "Adam learning rate")->capture_default_str()->check(CLI::Range(1e-12, 10.0));
        CLI::Option* threads = app.add_option("--threads", cfg.threads, threads_help)->capture_default_str()->check(CLI::Range(1, 1024));
        app.add_option("--seed", cfg.seed, "Seed of the data, the initial weights and the shuffling")->capture_default_str();
        app.add_option("--out", cfg.out, out_help)->capture_default_str();
        return threads;
    }

    // Parses the command line. Returns the exit status when the program should stop here: 0
    // after --help, 2 (usage_error) for a bad value, including an --image-size that is not a
    // multiple of 4 (the trainers' two stride-2 stages); nullopt to go on.
    inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const std::string& program,
                                                 const int& image_size)
    {
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
            return usage_error(app, program, e.what());
        }
        if (image_size % 4 != 0)
        {
            return usage_error(app, program,
                               "--image-size: a multiple of 4 (two stride-2 stages), got " + std::to_string(image_size));
        }
        return std::nullopt;
    }
}
