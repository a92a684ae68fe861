// Reductions as loops over an (outer, n, inner) view of the input: the reduced axis is n,
// everything before it is outer, everything after it inner. The inner loop runs over
// contiguous memory, so reducing the first axis vectorises and the last is a plain scan.
#include <adjoint/core/reduce.hpp>
#include <adjoint/core/parallel.hpp>
#include <adjoint/core/vector_math.hpp>
#include <adjoint/core/vector_math_impl.hpp>   // sum_impl, for the integer dtypes
#include <adjoint/core/xt.hpp>

#include <algorithm>

#include <cmath>
#include <type_traits>

namespace adjoint::kernels
{
    namespace
    {
        // The (outer, n, inner) view of `shape` for reducing axes [first, last).
        struct axis_split
        {
            std::int64_t outer = 1, n = 1, inner = 1;
        };

        axis_split split(const shape_t& shape, std::size_t first, std::size_t last)
        {
            axis_split s;
            for (std::size_t i = 0; i < shape.size(); ++i)
            {
                (i < first ? s.outer : i < last ? s.n : s.inner) *= shape[i];
            }
            return s;
        }

        // Sum of n contiguous values (vector_math.hpp: sixteen partial sums in a fixed order;
        // float and double through its AVX2 build where the CPU has it).
        template <class In>
        double sum_contiguous(const In* x, std::int64_t n)
        {
            if constexpr (std::is_same_v<In, float> || std::is_same_v<In, double>)
            {
                return vector_math::sum(x, n);
            }
            else
            {
                return vector_math::sum_impl(x, n);
            }
        }

        template <class In>
        void sum_rows(const In* x, double* out, const axis_split& s, std::int64_t begin, std::int64_t end)
        {
            if (s.inner == 1)
            {
                for (std::int64_t o = begin; o < end; ++o)
                {
                    out[o] = sum_contiguous(x + o * s.n, s.n);
                }
                return;
            }
            for (std::int64_t o = begin; o < end; ++o)
            {
                double* dst = out + o * s.inner;
                std::fill(dst, dst + s.inner, 0.0);
                for (std::int64_t j = 0; j < s.n; ++j)
                {
                    const In* src = x + (o * s.n + j) * s.inner;
                    for (std::int64_t i = 0; i < s.inner; ++i)
                    {
                        dst[i] += static_cast<double>(src[i]);
                    }
                }
            }
        }

        // out[o, i] = sum_j x[o, j, i]; out is overwritten. The outer rows are independent,
        // so they are shared among the threads (at least 32K values a chunk): each row's sum
        // is computed the same way on any number of threads. A single row (a full sum) stays
        // on one thread.
        template <class In>
        void sum_run(const In* x, double* out, const axis_split& s)
        {
            const std::int64_t row = std::max<std::int64_t>(s.n * s.inner, 1);
            detail::parallel_for(s.outer, std::max<std::int64_t>(1, 32768 / row), [&](std::int64_t begin, std::int64_t end) {
                sum_rows(x, out, s, begin, end);
            });
        }

        template <class T>
        bool beats(extreme which, T v, T best)
        {
            if (std::isnan(v))
            {
                return !std::isnan(best);
            }
            return which == extreme::max ? v > best : v < best;
        }
    }

    array reduce_sum(const array& x, const std::vector<std::int64_t>& axes)
    {
        shape_t shape = x.shape();
        std::vector<double> current;   // the partially reduced values, once a pass has run
        bool reduced = false;
        // Consecutive axes form one run, reduced in a single pass; runs go right to left so
        // the earlier axes keep their positions.
        for (std::size_t r = axes.size(); r > 0;)
        {
            std::size_t first = r - 1;
            while (first > 0 && axes[first - 1] == axes[first] - 1)
            {
                --first;
            }
            const auto lo = static_cast<std::size_t>(axes[first]);
            const auto hi = static_cast<std::size_t>(axes[r - 1]) + 1;
            const axis_split s = split(shape, lo, hi);
            std::vector<double> next(static_cast<std::size_t>(s.outer * s.inner));
            if (reduced)
            {
                sum_run(current.data(), next.data(), s);
            }
            else
            {
                detail::dispatch(x.dtype(), [&](auto t) { sum_run(x.data<decltype(t)>(), next.data(), s); });
            }
            current.swap(next);
            reduced = true;
            for (std::size_t i = lo; i < hi; ++i)
            {
                shape[i] = 1;
            }
            r = first;
        }
        if (!reduced)
        {
            return x.clone();
        }
        array out = array::empty(shape, x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            std::transform(current.begin(), current.end(), out.data<T>(), [](double v) { return static_cast<T>(v); });
        });
        return out;
    }

    extreme_result reduce_extreme(extreme which, const array& x, std::int64_t axis)
    {
        const auto ax = static_cast<std::size_t>(axis);
        const axis_split s = split(x.shape(), ax, ax + 1);
        shape_t shape = x.shape();
        shape[ax] = 1;
        extreme_result r{array::empty(shape, x.dtype()), array::empty(shape, int64)};
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            const T* src = x.data<T>();
            T* best = r.values.data<T>();
            std::int64_t* index = r.indices.data<std::int64_t>();
            for (std::int64_t o = 0; o < s.outer; ++o)
            {
                // Row j = 0 seeds the result; later rows replace it only when strictly more
                // extreme, so ties keep the first position.
                std::copy(src + o * s.n * s.inner, src + (o * s.n + 1) * s.inner, best + o * s.inner);
                std::fill(index + o * s.inner, index + (o + 1) * s.inner, std::int64_t{0});
                for (std::int64_t j = 1; j < s.n; ++j)
                {
                    const T* row = src + (o * s.n + j) * s.inner;
                    for (std::int64_t i = 0; i < s.inner; ++i)
                    {
                        if (beats(which, row[i], best[o * s.inner + i]))
                        {
                            best[o * s.inner + i] = row[i];
                            index[o * s.inner + i] = j;
                        }
                    }
                }
            }
        });
        return r;
    }

    array one_hot_along(const array& indices, std::int64_t axis, std::int64_t n, adjoint::dtype dt)
    {
        const auto ax = static_cast<std::size_t>(axis);
        shape_t shape = indices.shape();
        shape[ax] = n;
        const axis_split s = split(shape, ax, ax + 1);
        array out = array::full(shape, 0.0, dt);
        detail::dispatch(dt, [&](auto t) {
            using T = decltype(t);
            const std::int64_t* index = indices.data<std::int64_t>();
            T* dst = out.data<T>();
            for (std::int64_t o = 0; o < s.outer; ++o)
            {
                for (std::int64_t i = 0; i < s.inner; ++i)
                {
                    const std::int64_t j = index[o * s.inner + i];
                    dst[(o * s.n + j) * s.inner + i] = T(1);
                }
            }
        });
        return out;
    }
}
