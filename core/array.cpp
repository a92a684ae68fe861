// array: allocation, typed access, dtype conversion and reshaping (see array.hpp).
#include <adjoint/core/xt.hpp>

#include <algorithm>

namespace adjoint
{
    array array::empty(const shape_t& shape, adjoint::dtype dt)
    {
        for (auto d : shape)
        {
            if (d < 0)
            {
                throw std::invalid_argument(
                    detail::str("array: dimensions must be non-negative, got shape ", shape_str(shape)));
            }
        }
        array a;
        a.m_dtype = dt;
        a.m_shape = shape;
        a.m_storage = std::make_shared<detail::storage>();
        const std::size_t n = static_cast<std::size_t>(shape_numel(shape));
        detail::dispatch(dt, [&](auto t) {
            using T = decltype(t);
            a.m_storage->values = xt::xtensor<T, 1>::from_shape({n});
        });
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
    }

    template <class T>
    T* array::typed() const
    {
        auto* buffer = m_storage ? std::get_if<xt::xtensor<T, 1>>(&m_storage->values) : nullptr;
        if (buffer == nullptr)
        {
            throw std::logic_error(detail::str("array::data: requested ", type_name<T>(), " access, got ",
                                               defined() ? dtype_name(m_dtype) : "an undefined array"));
        }
        return buffer->data();
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
        if (shape_numel(shape) != numel())
        {
            throw std::invalid_argument(detail::str("reshape: shape ", shape_str(shape), " (", shape_numel(shape),
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
