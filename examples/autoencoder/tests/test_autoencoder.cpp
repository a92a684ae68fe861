// The autoencoder example: the model's shapes, a few dozen training steps that must cut the
// reconstruction error by a clear margin, and the command line (help, bad values exit 2).
#include "model.hpp"
#include "run.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace adjoint;
using namespace adjoint::examples;
namespace fs = std::filesystem;

namespace
{
    fs::path work_dir(const std::string& name)
    {
        const fs::path dir = fs::path(AUTOENCODER_WORK) / name;
        fs::remove_all(dir);
        fs::create_directories(dir);
        return dir;
    }

    std::string read_file(const fs::path& path)
    {
        std::ifstream in(path);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    struct run_output
    {
        int status;
        std::string out, err;
    };

    run_output run(const std::string& args, const fs::path& dir)
    {
        const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
        const std::string command = std::string("'") + AUTOENCODER_EXE + "' " + args + " > '" + out.string() + "' 2> '" +
                                    err.string() + "'";
        const int raw = std::system(command.c_str());
        return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(out), read_file(err)};
    }
}

TEST(ConvAutoencoder, CodeIsAQuarterOfTheSideAndTheDecoderRestoresIt)
{
    manual_seed(0);
    ConvAutoencoder model;
    no_grad_guard no_grad;
    const Tensor x = randn({2, 3, 64, 64});
    const Tensor code = model.encode(x);
    EXPECT_EQ(code.shape(), (shape_t{2, 8, 16, 16}));
    const Tensor y = model.decode(code);
    EXPECT_EQ(y.shape(), (shape_t{2, 3, 64, 64}));
    for (double v : y.to_vector())
    {
        ASSERT_TRUE(v > 0.0 && v < 1.0) << v;   // the sigmoid's range
    }
}

TEST(AutoencoderTraining, AFewDozenStepsCutTheReconstructionError)
{
    autoencoder_config cfg;
    cfg.image_size = 32;
    cfg.train_size = 64;
    cfg.val_size = 16;
    cfg.batch_size = 8;
    cfg.epochs = 8;   // 64 steps
    cfg.lr = 3e-3;
    cfg.threads = 1;
    cfg.quiet = true;
    cfg.out = work_dir("learn").string();
    std::ostringstream log;
    const autoencoder_result r = train_autoencoder(cfg, log);
    // Untrained, the sigmoid sits near 0.5 everywhere (validation MSE 0.070 here); 64 steps
    // at this size reach about 0.037 (the colours first, the shapes later). The floor of
    // 0.8x (and 1 dB of PSNR) leaves room for other BLAS / thread counts yet fails if
    // learning breaks.
    EXPECT_LT(r.last_val_mse, 0.8 * r.initial_val_mse) << log.str();
    EXPECT_LT(r.last_train_mse, 0.8 * r.first_train_mse) << log.str();
    EXPECT_GT(psnr(r.last_val_mse), psnr(r.initial_val_mse) + 1.0) << log.str();
    const std::string metrics = read_file(fs::path(cfg.out) / "metrics.csv");
    EXPECT_EQ(metrics.rfind("epoch,train_mse,train_psnr_db,val_mse,val_psnr_db,seconds\n", 0), 0u) << metrics;
    EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 9) << metrics;
}

TEST(AutoencoderCli, HelpPrintsTheUsage)
{
    const run_output r = run("--help", work_dir("help"));
    EXPECT_EQ(r.status, 0);
    for (const char* option : {"--epochs", "--batch-size", "--image-size", "--lr", "--threads", "--seed", "--out"})
    {
        EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
    }
}

TEST(AutoencoderCli, BadValuesExitWithStatus2AndTheUsage)
{
    const fs::path dir = work_dir("bad_values");
    for (const std::string& args : std::vector<std::string>{"--epochs 0", "--epochs many", "--batch-size 0", "--image-size 30",
                                                            "--image-size 4", "--lr -1", "--lr 0", "--threads 0", "--seed x",
                                                            "--no-such-flag"})
    {
        const run_output r = run(args + " --out '" + (dir / "out").string() + "'", dir);
        EXPECT_EQ(r.status, 2) << args;
        EXPECT_NE(r.err.find("autoencoder: "), std::string::npos) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("Usage:"), std::string::npos) << args << "\n" << r.err;
        EXPECT_FALSE(fs::exists(dir / "out")) << args;   // nothing written
    }
}

TEST(AutoencoderCli, ASmallRunWritesThePictures)
{
    const fs::path dir = work_dir("small_run");
    const run_output r = run("--epochs 1 --image-size 16 --train-size 16 --val-size 8 --batch-size 8 --threads 1 --out '" +
                                 (dir / "out").string() + "'",
                             dir);
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* file : {"metrics.csv", "reconstructions.png", "curves.png", "interpolation.png"})
    {
        EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
    }
    EXPECT_NE(r.out.find("validation MSE"), std::string::npos) << r.out;
}
