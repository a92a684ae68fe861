// array: allocation, typed access, dtype conversion and reshaping (see array.hpp).
#include <adjoint/core/xt.hpp>

#include <algorithm>
#include <sstream>

namespace adjoint
{
    namespace
    {
        // "640.0 GB": decimal units, as disk and memory sizes are usually quoted.
        std::string bytes_str(double bytes)
        {
            const char* const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"};
            int u = 0;
            while (bytes >= 1000.0 && u < 7)
            {
                bytes /= 1000.0;
                ++u;
            }
            std::ostringstream out;
            out.setf(std::ios::fixed);
            out.precision(u == 0 ? 0 : 1);
            out << bytes << " " << units[u];
            return out.str();
        }
    }

    array array::empty(const shape_t& shape, adjoint::dtype dt, const char* op)
    {
        const char* who = op ? op : "array";
        for (auto d : shape)
        {
            if (d < 0)
            {
                throw std::invalid_argument(
                    detail::str(who, ": dimensions must be non-negative, got shape ", shape_str(shape)));
            }
        }
        const std::int64_t n = shape_numel(shape, who);
        const auto cannot_allocate = [&]() {
            // The byte count may itself exceed int64, so it is reported through a double.
            const double bytes = static_cast<double>(n) * static_cast<double>(dtype_size(dt));
            return std::runtime_error(detail::str(who, ": cannot allocate ", bytes_str(bytes), " for an array of shape ",
                                                  shape_str(shape), " (", dtype_name(dt), ")"));
        };
        if (!checked_mul(n, static_cast<std::int64_t>(dtype_size(dt))))
        {
            throw cannot_allocate();
        }
        array a;
        a.m_dtype = dt;
        a.m_shape = shape;
        a.m_storage = std::make_shared<detail::storage>();
        // Turn the allocator's bare bad_alloc into a message saying who asked for how much.
        try
        {
            detail::dispatch(dt, [&](auto t) {
                using T = decltype(t);
                a.m_storage->values = xt::xtensor<T, 1>::from_shape({static_cast<std::size_t>(n)});
            });
        }
        catch (const std::bad_alloc&)
        {
            throw cannot_allocate();
        }
        catch (const std::length_error&)
        {
            throw cannot_allocate();
        }
        return a;
    }

    array array::full(const shape_t& shape, double value, adjoint::dtype dt)
    {
        array a = empty(shape, dt);
        a.fill_(value);
        return a;
    }

    array array::from_values(const std::vector<double>& values, const shape_t& shape, adjoint::dtype dt)
    {
        if (static_cast<std::int64_t>(values.size()) != shape_numel(shape))
        {
            throw std::invalid_argument(detail::str("array: ", values.size(), " values cannot fill shape ",
                                                    shape_str(shape), " (", shape_numel(shape), " elements)"));
        }
        array a = empty(shape, dt);
        detail::dispatch(dt, [&](auto t) {
            using T = decltype(t);
            std::transform(values.begin(), values.end(), a.data<T>(), [](double v) { return static_cast<T>(v); });
        });
        return a;
    }

    std::int64_t array::size(std::int64_t axis) const
    {
        return m_shape[static_cast<std::size_t>(normalize_axis(axis, dim(), "size"))];
    }

    template <class T>
    T* array::data()
    {
        auto* buffer = m_storage ? std::get_if<xt::xtensor<T, 1>>(&m_storage->values) : nullptr;
        if (buffer == nullptr)
        {
            throw std::logic_error(detail::str("array::data: requested ", sizeof(T) == 4 ? "float" : "double",
                                               " access, got ", defined() ? dtype_name(m_dtype) : "an undefined array"));
        }
        return buffer->data();
    }

    template <class T>
    const T* array::data() const
    {
        return const_cast<array*>(this)->data<T>();
    }

    template float* array::data<float>();
    template double* array::data<double>();
    template const float* array::data<float>() const;
    template const double* array::data<double>() const;

    double array::flat(std::int64_t index) const
    {
        if (index < 0 || index >= numel())
        {
            throw std::out_of_range(
                detail::str("array::flat: index must be in [0, ", numel(), "), got ", index));
        }
        return detail::dispatch(m_dtype, [&](auto t) { return static_cast<double>(data<decltype(t)>()[index]); });
    }

    double array::item() const
    {
        if (numel() != 1)
        {
            throw std::invalid_argument(detail::str(
                "item: expected a tensor with exactly one element, got shape ", shape_str(m_shape)));
        }
        return flat(0);
    }

    std::vector<double> array::to_vector() const
    {
        std::vector<double> out(static_cast<std::size_t>(numel()));
        detail::dispatch(m_dtype, [&](auto t) {
            const auto* p = data<decltype(t)>();
            std::copy(p, p + numel(), out.begin());
        });
        return out;
    }

    array array::to(adjoint::dtype dt) const
    {
        if (dt == m_dtype)
        {
            return *this;
        }
        array out = empty(m_shape, dt);
        detail::dispatch(m_dtype, [&](auto from) {
            detail::dispatch(dt, [&](auto to) {
                using F = decltype(from);
                using T = decltype(to);
                const F* src = data<F>();
                std::transform(src, src + numel(), out.data<T>(), [](F v) { return static_cast<T>(v); });
            });
        });
        return out;
    }

    array array::reshaped(const shape_t& shape) const
    {
        const std::int64_t n = shape_numel(shape, "reshape");
        if (n != numel())
        {
            throw std::invalid_argument(detail::str("reshape: shape ", shape_str(shape), " (", n,
                                                    " elements) does not fit ", shape_str(m_shape), " (",
                                                    numel(), " elements)"));
        }
        array out = *this;
        out.m_shape = shape;
        return out;
    }

    array array::clone() const
    {
        array out = empty(m_shape, m_dtype);
        detail::dispatch(m_dtype, [&](auto t) {
            using T = decltype(t);
            std::copy(data<T>(), data<T>() + numel(), out.data<T>());
        });
        return out;
    }

    void array::fill_(double value)
    {
        detail::dispatch(m_dtype, [&](auto t) {
            using T = decltype(t);
            std::fill(data<T>(), data<T>() + numel(), static_cast<T>(value));
        });
    }
}
