// The global generator and its fills (see random.hpp). The transforms from 64-bit draws to
// doubles are written out here rather than taken from <random>'s distributions, whose
// algorithms differ between standard libraries: a seed must mean the same values everywhere.
#include <adjoint/core/random.hpp>
#include <adjoint/core/xt.hpp>

#include <cmath>
#include <limits>
#include <mutex>
#include <random>

namespace adjoint::kernels
{
    namespace
    {
        std::mutex g_mutex;   // guards g_generator; a fill holds it throughout, so its draws are contiguous

        std::mt19937_64& generator()
        {
            static std::mt19937_64 g;
            return g;
        }

        // The top 53 bits of a draw, scaled: every double in [0, 1) on a 2^-53 grid.
        double unit(std::mt19937_64& g)
        {
            return static_cast<double>(g() >> 11) * 0x1.0p-53;
        }

        // Writes n values from next() into a's buffer, rounding to its dtype with `fix` applied.
        template <class Next, class Fix>
        void fill(array& a, Next next, Fix fix)
        {
            detail::dispatch_floating(a.dtype(), "random", [&](auto t) {
                using T = decltype(t);
                T* out = a.data<T>();
                for (std::int64_t i = 0; i < a.numel(); ++i)
                {
                    out[i] = fix(static_cast<T>(next(i)));
                }
            });
        }
    }

    void seed_global_generator(std::uint64_t seed)
    {
        const std::lock_guard<std::mutex> lock(g_mutex);
        generator().seed(seed);
    }

    array random_uniform(const shape_t& shape, double low, double high, adjoint::dtype dt)
    {
        array out = array::empty(shape, dt);
        const std::lock_guard<std::mutex> lock(g_mutex);
        auto& g = generator();
        fill(out, [&](std::int64_t) { return low + (high - low) * unit(g); },
             [low, high](auto v) {
                 // Rounding (to float32, or of low + (high - low) * u itself) can land on high:
                 // step back inside the half-open interval.
                 using T = decltype(v);
                 const T top = static_cast<T>(high);
                 return v >= top && top > static_cast<T>(low) ? std::nextafter(top, static_cast<T>(low)) : v;
             });
        return out;
    }

    array random_normal(const shape_t& shape, adjoint::dtype dt)
    {
        array out = array::empty(shape, dt);
        const std::lock_guard<std::mutex> lock(g_mutex);
        auto& g = generator();
        double pair[2] = {0.0, 0.0};
        fill(out,
             [&](std::int64_t i) {
                 if (i % 2 == 0)
                 {
                     const double u1 = 1.0 - unit(g);   // (0, 1]: log stays finite
                     const double u2 = unit(g);
                     const double r = std::sqrt(-2.0 * std::log(u1));
                     const double angle = 2.0 * 3.14159265358979323846 * u2;
                     pair[0] = r * std::cos(angle);
                     pair[1] = r * std::sin(angle);
                 }
                 return pair[i % 2];
             },
             [](auto v) { return v; });
        return out;
    }
}
