// Value-moving kernels through xtensor views (see shape_kernels.hpp).
#include <adjoint/core/shape_kernels.hpp>
#include <adjoint/core/xt.hpp>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmanipulation.hpp>

#include <algorithm>

namespace adjoint::kernels
{
    array broadcast_to(const array& x, const shape_t& shape)
    {
        array out = array::empty(shape, x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = detail::xview<T>(out);
            xt::noalias(o) = xt::broadcast(detail::xview<T>(x), detail::to_xt_shape(shape));
        });
        return out;
    }

    array permute(const array& x, const std::vector<std::int64_t>& axes)
    {
        shape_t shape(axes.size());
        for (std::size_t i = 0; i < axes.size(); ++i)
        {
            shape[i] = x.shape()[static_cast<std::size_t>(axes[i])];
        }
        array out = array::empty(shape, x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            auto o = detail::xview<T>(out);
            o = xt::transpose(detail::xview<T>(x), std::vector<std::size_t>(axes.begin(), axes.end()));
        });
        return out;
    }
}

namespace adjoint::kernels
{
    namespace
    {
        // Views a row-major array as (outer, axis, inner) around one axis: the only index
        // arithmetic that concat and slice need.
        struct axis_split
        {
            std::int64_t outer = 1, size = 1, inner = 1;
            axis_split(const shape_t& shape, std::int64_t axis)
            {
                for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i)
                {
                    (i < axis ? outer : i == axis ? size : inner) *= shape[static_cast<std::size_t>(i)];
                }
            }
        };

        // Copies `count` rows of `inner` values, src row start + k*step -> dst row dst_start + k*dst_step.
        template <class T>
        void copy_rows(const T* src, const axis_split& s, std::int64_t src_start, std::int64_t src_step, T* dst,
                       const axis_split& d, std::int64_t dst_start, std::int64_t dst_step, std::int64_t count)
        {
            for (std::int64_t o = 0; o < s.outer; ++o)
            {
                for (std::int64_t k = 0; k < count; ++k)
                {
                    const T* from = src + (o * s.size + src_start + k * src_step) * s.inner;
                    std::copy(from, from + s.inner, dst + (o * d.size + dst_start + k * dst_step) * d.inner);
                }
            }
        }
    }

    array concat(const std::vector<array>& parts, std::int64_t axis)
    {
        shape_t shape = parts.at(0).shape();
        shape[static_cast<std::size_t>(axis)] = 0;
        for (const auto& p : parts)
        {
            shape[static_cast<std::size_t>(axis)] += p.shape()[static_cast<std::size_t>(axis)];
        }
        array out = array::empty(shape, parts[0].dtype());
        const axis_split d(shape, axis);
        detail::dispatch(out.dtype(), [&](auto t) {
            using T = decltype(t);
            std::int64_t offset = 0;
            for (const auto& p : parts)
            {
                const axis_split s(p.shape(), axis);
                copy_rows(p.data<T>(), s, 0, 1, out.data<T>(), d, offset, 1, s.size);
                offset += s.size;
            }
        });
        return out;
    }

    array slice(const array& x, std::int64_t axis, std::int64_t start, std::int64_t count, std::int64_t step)
    {
        shape_t shape = x.shape();
        shape[static_cast<std::size_t>(axis)] = count;
        array out = array::empty(shape, x.dtype());
        detail::dispatch(x.dtype(), [&](auto t) {
            using T = decltype(t);
            copy_rows(x.data<T>(), axis_split(x.shape(), axis), start, step, out.data<T>(), axis_split(shape, axis), 0,
                      1, count);
        });
        return out;
    }

    array slice_backward(const array& g, const shape_t& shape, std::int64_t axis, std::int64_t start,
                         std::int64_t step)
    {
        array out = array::full(shape, 0.0, g.dtype());
        detail::dispatch(g.dtype(), [&](auto t) {
            using T = decltype(t);
            const axis_split s(g.shape(), axis);
            copy_rows(g.data<T>(), s, 0, 1, out.data<T>(), axis_split(shape, axis), start, step, s.size);
        });
        return out;
    }

    namespace
    {
        // Pads or crops one axis; the trailing axes are untouched, so whole `inner` rows move.
        array pad_axis(const array& x, std::int64_t axis, std::int64_t before, std::int64_t after, double value)
        {
            shape_t shape = x.shape();
            const std::int64_t n = shape[static_cast<std::size_t>(axis)];
            shape[static_cast<std::size_t>(axis)] = n + before + after;
            array out = array::full(shape, value, x.dtype());
            const std::int64_t kept = n - std::max<std::int64_t>(-before, 0) - std::max<std::int64_t>(-after, 0);
            detail::dispatch(x.dtype(), [&](auto t) {
                using T = decltype(t);
                copy_rows(x.data<T>(), axis_split(x.shape(), axis), std::max<std::int64_t>(-before, 0), 1,
                          out.data<T>(), axis_split(shape, axis), std::max<std::int64_t>(before, 0), 1, kept);
            });
            return out;
        }
    }

    array pad(const array& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& widths, double value)
    {
        // One pass per padded axis: simpler than an n-d offset walk, and padding is never hot.
        array out = x;
        for (std::size_t axis = 0; axis < widths.size(); ++axis)
        {
            const auto [before, after] = widths[axis];
            if (before != 0 || after != 0)
            {
                out = pad_axis(out, static_cast<std::int64_t>(axis), before, after, value);
            }
        }
        return out;
    }
}
