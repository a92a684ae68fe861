// address_space_limit: caps this process's address space (RLIMIT_AS) at what it maps now
// plus some headroom for the scope of a test, so that a test asking for hundreds of GB sees
// the allocation refused even on a machine that overcommits memory, and never touches it.
// Linux only; the previous limit comes back when the guard goes out of scope.
#pragma once
#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace adjoint_test
{
    // Under AddressSanitizer a failed operator new ends the process (its runtime reports
    // out-of-memory instead of throwing std::bad_alloc), so a test that expects the library's
    // std::runtime_error for an allocation refused by the limit cannot run there.
#if defined(__SANITIZE_ADDRESS__)
    inline constexpr bool k_refused_allocation_throws = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    inline constexpr bool k_refused_allocation_throws = false;
#else
    inline constexpr bool k_refused_allocation_throws = true;
#endif
#else
    inline constexpr bool k_refused_allocation_throws = true;
#endif

    class address_space_limit
    {
    public:
        explicit address_space_limit(std::uint64_t headroom_bytes)
        {
            getrlimit(RLIMIT_AS, &m_previous);
            rlimit capped = m_previous;
            capped.rlim_cur = mapped_bytes() + headroom_bytes;
            m_active = setrlimit(RLIMIT_AS, &capped) == 0;
        }
        ~address_space_limit() { setrlimit(RLIMIT_AS, &m_previous); }
        address_space_limit(const address_space_limit&) = delete;
        address_space_limit& operator=(const address_space_limit&) = delete;

        bool active() const { return m_active; }

    private:
        // VmSize of /proc/self/status, in bytes.
        static std::uint64_t mapped_bytes()
        {
            std::ifstream status("/proc/self/status");
            std::string key;
            while (status >> key)
            {
                if (key == "VmSize:")
                {
                    std::uint64_t kb = 0;
                    status >> kb;
                    return kb * 1024;
                }
            }
            return 0;
        }

        rlimit m_previous{};
        bool m_active = false;
    };
}
