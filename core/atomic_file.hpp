// atomic_file: writes a file so that readers see either the previous file or the complete
// new one, never a part. The bytes go to a temporary file in the same folder (rename is
// atomic only within one file system), every write and the close are checked, the data is
// fsynced, and only then is the temporary renamed over the target. Any failure removes the
// temporary file, leaves the previous file alone and throws std::runtime_error naming the
// target. A successful commit also removes the temporaries that writers of the same path
// left when they were killed (their process is gone). Internal to core/*.cpp (not installed).
// It does not lock: two writers of one path race and the last rename wins; nor does it
// buffer, so callers write in large pieces.
#pragma once
#include <cstddef>
#include <string>

namespace adjoint::detail
{
    class atomic_file
    {
    public:
        // Creates the temporary file; `op` ("save_npy") starts every error message.
        atomic_file(std::string path, std::string op);
        ~atomic_file();   // without commit(): closes and removes the temporary file
        atomic_file(const atomic_file&) = delete;
        atomic_file& operator=(const atomic_file&) = delete;

        void write(const void* bytes, std::size_t count);
        void commit();   // fsync, close, rename over the target; nothing may follow

    private:
        [[noreturn]] void fail(const std::string& what, int error);
        void discard() noexcept;

        std::string m_path;
        std::string m_op;
        std::string m_temp_path;
        int m_fd = -1;
        bool m_done = false;
    };
}
