// Shared by the fuzz targets: fuzz input as a file (the loaders take paths), and the rule
// every target enforces — a bad input may throw std::invalid_argument / std::runtime_error
// (or their subclasses); anything else (another exception, a crash, a sanitizer report) is
// a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace adjoint_fuzz
{
    // The bytes as an anonymous in-memory file, reachable by path as /proc/self/fd/<fd>
    // (no disk traffic, nothing left behind). Closed when it goes out of scope.
    class memory_file
    {
    public:
        memory_file(const std::uint8_t* data, std::size_t size) : m_fd(memfd_create("adjoint-fuzz", 0))
        {
            if (m_fd < 0)
            {
                std::perror("memfd_create");
                std::abort();
            }
            std::size_t done = 0;
            while (done < size)
            {
                const ssize_t n = write(m_fd, data + done, size - done);
                if (n <= 0)
                {
                    std::perror("write");
                    std::abort();
                }
                done += static_cast<std::size_t>(n);
            }
        }
        ~memory_file() { close(m_fd); }
        memory_file(const memory_file&) = delete;
        memory_file& operator=(const memory_file&) = delete;
        std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

    private:
        int m_fd;
    };

    // Runs f; a clear rejection is fine, every other way out aborts with the reason.
    template <class F>
    void expect_clean(const char* target, F&& f)
    {
        try
        {
            f();
        }
        catch (const std::invalid_argument&)
        {
        }
        catch (const std::runtime_error&)
        {
        }
        catch (const std::exception& e)
        {
            std::fprintf(stderr, "%s: unexpected exception type: %s\n", target, e.what());
            std::abort();
        }
    }

    // Bytes taken from the front of the input, zero once it runs out.
    class byte_reader
    {
    public:
        byte_reader(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
        std::uint8_t next() { return m_at < m_size ? m_data[m_at++] : 0; }
        // An integer in [lo, hi].
        std::int64_t in(std::int64_t lo, std::int64_t hi) { return lo + next() % (hi - lo + 1); }
        bool flag() { return next() & 1u; }

    private:
        const std::uint8_t* m_data;
        std::size_t m_size;
        std::size_t m_at = 0;
    };
}
