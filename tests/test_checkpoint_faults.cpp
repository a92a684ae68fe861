// Checkpoints survive faults: a writer SIGKILLed at random points while saving never leaves
// a partial file at the checkpoint's path (it holds the complete previous or the complete new
// checkpoint, and always loads), the temporaries of killed writers do not pile up, and a
// save that hits a file-size limit (a full disk) leaves the previous file as it was — for
// both safetensors checkpoints and .npy files.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace adjoint;

namespace
{
    std::string fresh_dir(const std::string& name)
    {
        std::string templ = std::string(::testing::TempDir()) + "adjoint_faults_" + name + "_XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr)
        {
            ADD_FAILURE() << "mkdtemp failed for " << templ;
        }
        return templ;
    }

    std::vector<std::string> files_in(const std::string& dir)
    {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir))
        {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    std::string read_bytes(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    // Checkpoint number g: 1 MB of weights holding g and a bias holding g + 0.5, and g in the
    // metadata, so a loaded file shows whether it is one complete checkpoint.
    named_arrays generation_file(std::int64_t g)
    {
        named_arrays a;
        a.add("weight", array::full({128 * 1024}, static_cast<double>(g), float64));
        a.add("bias", array::full({1000}, static_cast<double>(g) + 0.5, float64));
        a.metadata["generation"] = std::to_string(g);
        return a;
    }

    // The generation of the checkpoint at `path`; fails the test unless every value agrees.
    std::int64_t loaded_generation(const std::string& path)
    {
        const named_arrays got = load_safetensors(path);
        const std::int64_t g = std::stoll(got.metadata.at("generation"));
        const auto w = got.at("weight").to_vector();
        const auto b = got.at("bias").to_vector();
        EXPECT_EQ(w.size(), 128u * 1024u);
        EXPECT_EQ(b.size(), 1000u);
        for (double v : w)
        {
            if (v != static_cast<double>(g))
            {
                ADD_FAILURE() << "weight value " << v << " in checkpoint " << g;
                break;
            }
        }
        for (double v : b)
        {
            if (v != static_cast<double>(g) + 0.5)
            {
                ADD_FAILURE() << "bias value " << v << " in checkpoint " << g;
                break;
            }
        }
        return g;
    }

    std::size_t temporaries_in(const std::string& dir)
    {
        std::size_t n = 0;
        for (const auto& name : files_in(dir))
        {
            n += name.find(".tmp-") != std::string::npos ? 1 : 0;
        }
        return n;
    }

    // Runs `save` in a child with a 64 kB file-size limit and SIGXFSZ ignored (else the kernel
    // kills the writer); returns the message it failed with.
    template <class F>
    std::string save_in_limited_child(F save)
    {
        int pipe_fds[2];
        if (::pipe(pipe_fds) != 0)
        {
            return "pipe failed";
        }
        const ::pid_t pid = ::fork();
        if (pid == 0)
        {
            ::close(pipe_fds[0]);
            ::signal(SIGXFSZ, SIG_IGN);
            const ::rlimit limit{64 * 1024, 64 * 1024};
            std::string message = "setrlimit failed";
            if (::setrlimit(RLIMIT_FSIZE, &limit) == 0)
            {
                message = "no error";
                try
                {
                    save();
                }
                catch (const std::exception& e)
                {
                    message = e.what();
                }
            }
            const ::ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
            ::_exit(written == static_cast<::ssize_t>(message.size()) ? 0 : 1);
        }
        ::close(pipe_fds[1]);
        std::string message;
        char buffer[512];
        for (::ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        {
            message.append(buffer, static_cast<std::size_t>(n));
        }
        ::close(pipe_fds[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return message;
    }
}

TEST(CheckpointFaults, WriterKilledAtRandomPointsNeverLeavesAPartialCheckpoint)
{
    const std::string dir = fresh_dir("kill");
    const std::string path = dir + "/model.safetensors";
    save_safetensors(path, generation_file(0));

    std::mt19937 rng(20261201);
    std::uniform_int_distribution<int> delay_us(0, 20000);
    const int rounds = 200;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int kills = 0, new_checkpoint_seen = 0, killed_mid_write = 0;
    std::size_t most_temporaries = 0;
    std::int64_t last = 0;
    for (int round = 0; round < rounds && std::chrono::steady_clock::now() < deadline; ++round)
    {
        // Child r writes checkpoints r*1e6+1, r*1e6+2, ... until it is killed, alternating
        // the two save paths (core's save_safetensors and layers' adjoint::save).
        const std::int64_t first = static_cast<std::int64_t>(round + 1) * 1000000;
        const ::pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0)
        {
            for (std::int64_t g = first;; ++g)
            {
                if (g % 2 == 0)
                {
                    save_safetensors(path, generation_file(g));
                }
                else
                {
                    named_tensors tensors;
                    named_arrays a = generation_file(g);
                    for (auto& [name, value] : a.entries)
                    {
                        tensors.emplace_back(name, Tensor(value));
                    }
                    adjoint::save(tensors, path, a.metadata);
                }
            }
        }
        ::usleep(static_cast<useconds_t>(delay_us(rng)));
        ASSERT_EQ(::kill(pid, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "round " << round;
        ++kills;

        // The file at the path is one complete checkpoint, never older than the last one seen.
        const std::int64_t g = loaded_generation(path);
        ASSERT_GE(g, last) << "round " << round;
        new_checkpoint_seen += g >= first ? 1 : 0;
        last = g;
        const std::string own_temp_prefix = "model.safetensors.tmp-" + std::to_string(pid) + "-";
        for (const auto& name : files_in(dir))
        {
            killed_mid_write += name.rfind(own_temp_prefix, 0) == 0 ? 1 : 0;
        }
        most_temporaries = std::max(most_temporaries, temporaries_in(dir));
    }
    const std::size_t left_by_kills = temporaries_in(dir);
    // The next successful save clears the temporaries of writers that are gone.
    save_safetensors(path, generation_file(last + 1));
    EXPECT_EQ(loaded_generation(path), last + 1);
    std::printf("checkpoint faults: %d kills, %d while a temporary was open, a new checkpoint in place after %d; "
                "temporaries in the folder: at most %zu, %zu at the end, %zu after one more save\n",
                kills, killed_mid_write, new_checkpoint_seen, most_temporaries, left_by_kills, temporaries_in(dir));
    EXPECT_GE(kills, 50);
    EXPECT_GT(killed_mid_write, 0) << "no kill landed during a write: the test proved nothing";
    EXPECT_GT(new_checkpoint_seen, 0) << "no child finished a save: the test proved nothing";
    EXPECT_EQ(temporaries_in(dir), 0u);
}

TEST(CheckpointFaults, FullDiskLeavesThePreviousNpyFileIntact)
{
    const std::string dir = fresh_dir("npy_full");
    const std::string path = dir + "/x.npy";
    const array previous = array::from_values({1.0, 2.0, 3.0}, {3}, float64);
    save_npy_array(previous, path);
    const std::string before = read_bytes(path);
    const array big = array::full({100000}, 1.0, float64);   // 800 kB against a 64 kB limit
    const std::string message = save_in_limited_child([&] { save_npy_array(big, path); });
    EXPECT_EQ(message, "save_npy: writing '" + path + "' failed: File too large");
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_EQ(files_in(dir), std::vector<std::string>{"x.npy"});   // no temporary left
    EXPECT_EQ(load_npy_array(path).to_vector(), previous.to_vector());
}

TEST(CheckpointFaults, FullDiskLeavesThePreviousModuleCheckpointIntact)
{
    const std::string dir = fresh_dir("module_full");
    const std::string path = dir + "/m.safetensors";
    Linear small(LinearOptions(2, 3));
    adjoint::save(small, path);
    const std::string before = read_bytes(path);
    Linear big(LinearOptions(200, 300));   // 240 kB of weights against a 64 kB limit
    const std::string message = save_in_limited_child([&] { adjoint::save(big, path); });
    EXPECT_EQ(message, "save_safetensors: writing '" + path + "' failed: File too large");
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_EQ(files_in(dir), std::vector<std::string>{"m.safetensors"});
    Linear again(LinearOptions(2, 3));
    adjoint::load(again, path);
    EXPECT_EQ(again.weight().to_vector(), small.weight().to_vector());
}
