// Checkpoints: round trip of a module's state through a safetensors file; a torch.nn model's
// state_dict loads into the same architecture built here and gives torch's output, also with
// BatchNorm2d (running stats and num_batches_tracked under torch's keys, eval mode); a file
// written here loads into torch (when python3-torch is installed); bad files and mismatched
// models are reported with the file's name and change nothing.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

using namespace adjoint;

namespace
{
    // tests/python/torch_encdec.py's EncDec, with the same child names.
    class EncDec : public Module
    {
    public:
        EncDec()
            : enc1(register_module("enc1", std::make_shared<Conv2d>(Conv2dOptions(3, 8, 3).stride(2).padding(1)))),
              enc2(register_module("enc2", std::make_shared<Conv2d>(Conv2dOptions(8, 16, 3).stride(2).padding(1)))),
              dec1(register_module("dec1", std::make_shared<ConvTranspose2d>(
                                               ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1)))),
              dec2(register_module("dec2", std::make_shared<ConvTranspose2d>(
                                               ConvTranspose2dOptions(8, 2, 4).stride(2).padding(1))))
        {
        }
        Tensor forward(const Tensor& x)
        {
            return dec2->forward(relu(dec1->forward(relu(enc2->forward(relu(enc1->forward(x)))))));
        }
        std::shared_ptr<Conv2d> enc1, enc2;
        std::shared_ptr<ConvTranspose2d> dec1, dec2;
    };

    // tests/python/torch_encdec.py's EncDecBN: EncDec with a BatchNorm2d after each encoder
    // conv, registered in torch's order (EncDec's children first, then bn1, bn2).
    class EncDecBN : public EncDec
    {
    public:
        EncDecBN()
            : bn1(register_module("bn1", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(8)))),
              bn2(register_module("bn2", std::make_shared<BatchNorm2d>(BatchNorm2dOptions(16))))
        {
        }
        Tensor forward(const Tensor& x)
        {
            const Tensor e = relu(bn2->forward(enc2->forward(relu(bn1->forward(enc1->forward(x))))));
            return dec2->forward(relu(dec1->forward(e)));
        }
        std::shared_ptr<BatchNorm2d> bn1, bn2;
    };

    double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

    bool torch_available(const std::string& python)
    {
        const std::string probe = python + " -c 'import torch' > /dev/null 2>&1";
        return ::access(python.c_str(), X_OK) == 0 && std::system(probe.c_str()) == 0;
    }

    std::string fixture(const std::string& name) { return std::string(ADJOINT_FIXTURES) + "/checkpoint/" + name; }

    std::string temp(const std::string& name)
    {
        return std::string(::testing::TempDir()) + "adjoint_ckpt_" + std::to_string(::getpid()) + "_" + name;
    }

    std::string file_bytes(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
}

TEST(Checkpoint, RoundTripKeepsEveryValueAndKey)
{
    manual_seed(1);
    EncDec a, b;
    const std::string path = temp("roundtrip.safetensors");
    save(a, path, {{"epoch", "3"}});
    const checkpoint c = load_checkpoint(path);
    EXPECT_EQ(c.metadata.at("epoch"), "3");
    EXPECT_EQ(c.metadata.at("format"), "adjoint-safetensors");
    ASSERT_EQ(c.tensors.size(), 8u);
    EXPECT_EQ(c.tensors[0].first, "enc1.weight");
    load(b, path);
    for (std::size_t i = 0; i < a.parameters().size(); ++i)
    {
        EXPECT_EQ(a.parameters()[i].to_vector(), b.parameters()[i].to_vector());
    }
    std::remove(path.c_str());
}

TEST(Checkpoint, TorchStateDictLoadsAndGivesTorchsOutput)
{
    EncDec model;
    load(model, fixture("encdec.safetensors"));
    const Tensor x = load_npy(fixture("encdec_x.npy"));
    const Tensor expected = load_npy(fixture("encdec_y.npy"));
    no_grad_guard off;
    const Tensor y = model.forward(x);
    EXPECT_TENSOR_NEAR(y, expected, 1e-5, 1e-5);
    double err = 0.0;
    const auto yv = y.to_vector(), ev = expected.to_vector();
    for (std::size_t i = 0; i < yv.size(); ++i)
    {
        err = std::max(err, std::abs(yv[i] - ev[i]));
    }
    std::printf("max |adjoint - torch| on the torch checkpoint: %.3g\n", err);
}

TEST(Checkpoint, TorchBatchNormStateDictLoadsAndGivesTorchsOutput)
{
    EncDecBN model;
    const checkpoint c = load_checkpoint(fixture("encdecbn.safetensors"));
    std::vector<std::string> theirs, ours;
    for (const auto& [name, t] : c.tensors)
    {
        theirs.push_back(name);
    }
    for (const auto& [name, t] : model.state_dict())
    {
        ours.push_back(name);
    }
    EXPECT_EQ(ours, theirs);   // torch's keys, in torch's order
    load(model, fixture("encdecbn.safetensors"));
    EXPECT_EQ(model.bn1->num_batches_tracked().dtype(), int64);
    EXPECT_EQ(model.bn1->num_batches_tracked().item(), 3.0);
    EXPECT_TENSOR_NEAR(model.bn2->running_var(), c.at("bn2.running_var"), 0.0, 0.0);
    model.eval();
    const Tensor x = load_npy(fixture("encdecbn_x.npy"));
    const Tensor expected = load_npy(fixture("encdecbn_y.npy"));
    no_grad_guard off;
    EXPECT_TENSOR_NEAR(model.forward(x), expected, 1e-5, 1e-5);
    std::printf("max |adjoint - torch| on the torch BatchNorm checkpoint: %.3g\n",
                max_abs_diff(model.forward(x), expected));
    // The loaded running stats decide the eval output: the defaults give something else.
    EncDecBN fresh;
    fresh.load_state_dict(model.state_dict());
    fresh.bn1->reset_running_stats();
    fresh.eval();
    EXPECT_GT(max_abs_diff(fresh.forward(x), expected), 1e-3);
}

TEST(Checkpoint, FileWrittenHereLoadsIntoTorch)
{
    const std::string python = ADJOINT_TEST_PYTHON;
    if (!torch_available(python))
    {
        GTEST_SKIP() << "needs " << python << " with torch (Debian python3-torch) for the torch side";
    }
    manual_seed(7);
    EncDec model;
    const std::string ckpt = temp("for_torch.safetensors"), xp = temp("x.npy"), yp = temp("y.npy");
    save(model, ckpt);
    const Tensor x = randn({2, 3, 16, 16});
    save_npy(x, xp);
    {
        no_grad_guard off;
        save_npy(model.forward(x), yp);
    }
    const std::string command = python + " " + ADJOINT_TEST_PYTHON_DIR + "/torch_encdec.py check " + ckpt + " " + xp +
                                " " + yp;
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    for (const auto& p : {ckpt, xp, yp})
    {
        std::remove(p.c_str());
    }
}

TEST(Checkpoint, BatchNormFileWrittenHereLoadsIntoTorch)
{
    const std::string python = ADJOINT_TEST_PYTHON;
    if (!torch_available(python))
    {
        GTEST_SKIP() << "needs " << python << " with torch (Debian python3-torch) for the torch side";
    }
    manual_seed(8);
    EncDecBN model;
    {
        // Training batches move the running stats and the count away from their defaults.
        no_grad_guard off;
        for (int k = 0; k < 2; ++k)
        {
            model.forward(randn({4, 3, 16, 16}) * 2.0 + 0.5);
        }
    }
    model.eval();
    const std::string ckpt = temp("bn_for_torch.safetensors"), xp = temp("bn_x.npy"), yp = temp("bn_y.npy");
    save(model, ckpt);
    const Tensor x = randn({2, 3, 16, 16});
    save_npy(x, xp);
    {
        no_grad_guard off;
        save_npy(model.forward(x), yp);
    }
    const std::string command = python + " " + ADJOINT_TEST_PYTHON_DIR + "/torch_encdec.py check " + ckpt + " " + xp +
                                " " + yp + " EncDecBN";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    for (const auto& p : {ckpt, xp, yp})
    {
        std::remove(p.c_str());
    }
}

TEST(Checkpoint, MismatchedModelIsReportedAndNothingChanges)
{
    Conv2d other(Conv2dOptions(3, 8, 5));   // enc1's shape differs: 5x5 kernel
    const auto before = other.weight().to_vector();
    const std::string path = fixture("encdec.safetensors");
    try
    {
        load(other, path);
        FAIL() << "expected an exception";
    }
    catch (const std::invalid_argument& e)
    {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind("load: '" + path + "' does not fit the model: load_state_dict: cannot load into Conv2d: "
                            "missing keys 'weight', 'bias'; unexpected keys 'enc1.weight'", 0),
                  0u)
            << msg;
    }
    EXPECT_EQ(other.weight().to_vector(), before);
}

TEST(Checkpoint, CorruptFileIsReportedAndNothingChanges)
{
    EncDec model;
    const auto before = model.enc1->weight().to_vector();
    const std::string path = temp("truncated.safetensors");
    const std::string bytes = file_bytes(fixture("encdec.safetensors"));
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes.substr(0, bytes.size() / 2);
    }
    try
    {
        load(model, path);
        FAIL() << "expected an exception";
    }
    catch (const std::runtime_error& e)
    {
        EXPECT_EQ(std::string(e.what()).rfind("load_safetensors: '" + path + "' is not a valid safetensors file", 0), 0u)
            << e.what();
    }
    EXPECT_EQ(model.enc1->weight().to_vector(), before);
    std::remove(path.c_str());
}

TEST(Checkpoint, PrefixesLetModelAndOptimizerShareAFile)
{
    EncDec model;
    named_tensors all = with_prefix(model.state_dict(), "model");
    all.emplace_back("optimizer.step", scalar(5.0, float64));
    EXPECT_EQ(all[0].first, "model.enc1.weight");
    const named_tensors back = under_prefix(all, "model");
    EXPECT_EQ(back.size(), 8u);
    EXPECT_EQ(back[0].first, "enc1.weight");
    EXPECT_EQ(under_prefix(all, "optimizer").size(), 1u);
}
