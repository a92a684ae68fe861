// What the toy_segmentation tests share for running the program as a separate process: a
// fresh folder under the tests' work directory, a file's bytes, and one run of
// `launcher toy_segmentation args` with its exit status and captured output. Test-only; the
// defines TOY_SEGMENTATION_EXE and TOY_SEGMENTATION_WORK come from tests/CMakeLists.txt.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>

namespace toy_segmentation_tests
{
    namespace fs = std::filesystem;

    // TOY_SEGMENTATION_WORK/name, emptied.
    inline fs::path work_dir(const std::string& name)
    {
        const fs::path dir = fs::path(TOY_SEGMENTATION_WORK) / name;
        fs::remove_all(dir);
        fs::create_directories(dir);
        return dir;
    }

    inline std::string read_file(const fs::path& path)
    {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    struct run_output
    {
        int status;   // the exit status, -1 when killed by a signal
        std::string out, err;
    };

    // Runs `launcher 'toy_segmentation' args` through the shell (launcher may be empty, or
    // e.g. "env ... mpiexec -n 2"), stdout and stderr captured in files in `dir`.
    inline run_output run_program(const std::string& launcher, const std::string& args, const fs::path& dir)
    {
        const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
        const std::string command = launcher + " '" + TOY_SEGMENTATION_EXE + "' " + args + " > '" + out.string() +
                                    "' 2> '" + err.string() + "'";
        const int raw = std::system(command.c_str());
        return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(out), read_file(err)};
    }
}
