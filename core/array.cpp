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
        a.m_numel = n;
        a.m_storage = std::make_shared<detail::storage>();
        // The allocator reports refusal as nullptr; say who asked for how much.
        const std::size_t bytes = static_cast<std::size_t>(n) * dtype_size(dt);
        std::size_t capacity = 0;
        void* block = detail::allocate_buffer(bytes, capacity);
        if (block == nullptr)
        {
            throw cannot_allocate();
        }
        a.m_storage->data = block;
        a.m_storage->capacity = capacity;
        a.m_storage->numel = static_cast<std::size_t>(n);
        a.m_storage->dt = dt;
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
            std::transform(values.begin(), values.end(), a.data<T>(),
                           [](double v) { return detail::convert<T>(v, "tensor"); });
        });
        return a;
    }

    std::int64_t array::size(std::int64_t axis) const
    {
        return m_shape[static_cast<std::size_t>(normalize_axis(axis, dim(), "size"))];
    }

    namespace
    {
        template <class T> const char* type_name();
        template <> const char* type_name<float>() { return "float"; }
        template <> const char* type_name<double>() { return "double"; }
        template <> const char* type_name<std::int64_t>() { return "int64_t"; }
        template <class T> constexpr adjoint::dtype dtype_of();
        template <> constexpr adjoint::dtype dtype_of<float>() { return float32; }
        template <> constexpr adjoint::dtype dtype_of<double>() { return float64; }
        template <> constexpr adjoint::dtype dtype_of<std::int64_t>() { return int64; }
    }

    template <class T>
    T* array::typed() const
    {
        if (m_storage == nullptr || m_storage->dt != dtype_of<T>())
        {
            throw std::logic_error(detail::str("array::data: requested ", type_name<T>(), " access, got ",
                                               defined() ? dtype_name(m_dtype) : "an undefined array"));
        }
        return static_cast<T*>(m_storage->data);
    }

    template <class T>
    T* array::data()
    {
        T* p = typed<T>();
        m_storage->version.fetch_add(1, std::memory_order_relaxed);
        return p;
    }

    template <class T>
    const T* array::data() const
    {
        return typed<T>();
    }

    template float* array::data<float>();
    template double* array::data<double>();
    template std::int64_t* array::data<std::int64_t>();
    template const float* array::data<float>() const;
    template const double* array::data<double>() const;
    template const std::int64_t* array::data<std::int64_t>() const;

    const void* array::data_ptr() const
    {
        return detail::dispatch(m_dtype, [&](auto t) -> const void* { return typed<decltype(t)>(); });
    }

    void* array::mutable_data_ptr()
    {
        return detail::dispatch(m_dtype, [&](auto t) -> void* { return data<decltype(t)>(); });
    }

    std::size_t array::nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(m_dtype); }

    std::uint64_t array::version() const
    {
        return m_storage ? m_storage->version.load(std::memory_order_relaxed) : 0;
    }

    std::uint64_t array::storage_id() const { return m_storage ? m_storage->id : 0; }

    double array::flat(std::int64_t index) const
    {
        if (index < 0 || index >= numel())
        {
            throw std::out_of_range(
                detail::str("array::flat: index must be in [0, ", numel(), "), got ", index));
        }
        return detail::dispatch(m_dtype, [&](auto t) { return static_cast<double>(typed<decltype(t)>()[index]); });
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
            const auto* p = typed<decltype(t)>();
            std::transform(p, p + numel(), out.begin(), [](auto v) { return static_cast<double>(v); });
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
                const F* src = typed<F>();
                T* dst = out.data<T>();
                for (std::int64_t i = 0; i < numel(); ++i)
                {
                    dst[i] = detail::convert<T>(src[i], "to");
                }
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
        out.m_numel = n;
        return out;
    }

    array array::clone() const
    {
        array out = empty(m_shape, m_dtype);
        detail::dispatch(m_dtype, [&](auto t) {
            using T = decltype(t);
            std::copy(typed<T>(), typed<T>() + numel(), out.data<T>());
        });
        return out;
    }

    void array::fill_(double value)
    {
        detail::dispatch(m_dtype, [&](auto t) {
            using T = decltype(t);
            std::fill(data<T>(), data<T>() + numel(), detail::convert<T>(value, "fill_"));
        });
    }
}
