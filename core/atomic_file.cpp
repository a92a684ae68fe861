// atomic_file (see atomic_file.hpp), on POSIX file descriptors: iostreams report a failed
// write or close as one bit without errno, and cannot fsync.
#include <adjoint/core/atomic_file.hpp>

#include <adjoint/core/shape.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace adjoint::detail
{
    namespace
    {
        std::string error_text(int error)
        {
            // std::strerror is not thread-safe; the generic category gives the same text.
            return std::generic_category().message(error);
        }

        std::string parent_folder(const std::string& path)
        {
            const auto slash = path.find_last_of('/');
            if (slash == std::string::npos)
            {
                return ".";
            }
            return slash == 0 ? "/" : path.substr(0, slash);
        }

        // Removes "<path>.tmp-<pid>-<n>" files whose process no longer exists: a writer killed
        // mid-save (SIGKILL, power loss) cannot remove its own, and without this every such
        // kill would leave one more. A live pid (this process included) is never touched.
        // Best effort, after a successful save. Pids are this machine's: a folder shared with
        // other machines must not have two of them saving the same path (see the header).
        void remove_stale_temporaries(const std::string& path) noexcept
        {
            const auto slash = path.find_last_of('/');
            const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
            DIR* dir = ::opendir(parent_folder(path).c_str());
            if (dir == nullptr)
            {
                return;
            }
            const std::string folder = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
            while (const dirent* e = ::readdir(dir))
            {
                const std::string name = e->d_name;
                if (name.compare(0, prefix.size(), prefix) != 0)
                {
                    continue;
                }
                char* end = nullptr;
                const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
                if (pid <= 0 || end == nullptr || *end != '-' || pid == static_cast<long>(::getpid()))
                {
                    continue;
                }
                if (::kill(static_cast<::pid_t>(pid), 0) != 0 && errno == ESRCH)
                {
                    ::unlink((folder + name).c_str());
                }
            }
            ::closedir(dir);
        }
    }

    atomic_file::atomic_file(std::string path, std::string op) : m_path(std::move(path)), m_op(std::move(op))
    {
        // A name unique to this process and call, created with O_EXCL: two threads (or two
        // processes) saving the same path never share a temporary file. Mode 0666 lets the
        // umask decide the permissions, as for any newly created file.
        static std::atomic<unsigned> counter{0};
        int error = 0;
        for (int attempt = 0; attempt < 100; ++attempt)
        {
            m_temp_path = str(m_path, ".tmp-", ::getpid(), "-", counter++);
            m_fd = ::open(m_temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (m_fd >= 0)
            {
                return;
            }
            error = errno;
            if (error != EEXIST)   // a stale temporary of a crashed process: try the next name
            {
                break;
            }
        }
        m_done = true;   // nothing to clean up
        throw std::runtime_error(
            str(m_op, ": cannot create a temporary file next to '", m_path, "': ", error_text(error)));
    }

    atomic_file::~atomic_file()
    {
        if (!m_done)
        {
            discard();
        }
    }

    void atomic_file::discard() noexcept
    {
        if (m_fd >= 0)
        {
            ::close(m_fd);
            m_fd = -1;
        }
        ::unlink(m_temp_path.c_str());
        m_done = true;
    }

    void atomic_file::fail(const std::string& what, int error)
    {
        discard();
        throw std::runtime_error(str(m_op, ": ", what, ": ", error_text(error)));
    }

    void atomic_file::write(const void* bytes, std::size_t count)
    {
        const char* p = static_cast<const char*>(bytes);
        while (count > 0)
        {
            // write() may take only part (a full disk shows as a short write first, the
            // error on the next call), so loop until everything is written or it fails.
            const ::ssize_t n = ::write(m_fd, p, count);
            if (n < 0 && errno == EINTR)
            {
                continue;
            }
            if (n <= 0)
            {
                fail(str("writing '", m_path, "' failed"), n < 0 ? errno : ENOSPC);
            }
            p += n;
            count -= static_cast<std::size_t>(n);
        }
    }

    void atomic_file::commit()
    {
        // Data on disk before the rename: otherwise a crash right after it can leave the
        // new name pointing at an empty or partial file.
        if (::fsync(m_fd) != 0)
        {
            fail(str("writing '", m_path, "' failed"), errno);
        }
        // close() reports deferred write errors on some file systems (NFS, quotas).
        const int fd = m_fd;
        m_fd = -1;
        if (::close(fd) != 0)
        {
            fail(str("writing '", m_path, "' failed"), errno);
        }
        if (::rename(m_temp_path.c_str(), m_path.c_str()) != 0)
        {
            fail(str("cannot replace '", m_path, "'"), errno);
        }
        m_done = true;
        // Make the rename itself durable. Best effort: the new file is complete and in place
        // whatever happens here, so a failure is no reason to report the save as failed.
        const int dir = ::open(parent_folder(m_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0)
        {
            ::fsync(dir);
            ::close(dir);
        }
        remove_stale_temporaries(m_path);
    }
}
