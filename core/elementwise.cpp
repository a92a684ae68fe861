// Elementwise kernels through xtensor expressions over contiguous rows: broadcasting is planned
// here as rows of a stepping and a repeated operand, the dtype switch comes from
// detail::dispatch (see elementwise.hpp).
#include <adjoint/core/elementwise.hpp>
#include <adjoint/core/parallel.hpp>
#include <adjoint/core/reduce.hpp>
#include <adjoint/core/vector_math.hpp>
#include <adjoint/core/xt.hpp>

#include <xtensor/xoperation.hpp>

#include <array>
#include <cmath>

namespace adjoint::kernels
{
    namespace
    {
        // Elementwise work below this many elements stays on the calling thread.
        constexpr std::int64_t parallel_grain = 32768;

        // A 1-d view of the whole buffer: same-shape operations on it take xtensor's
        // contiguous (SIMD) loop instead of n-d index stepping.
        template <class T>
        auto flat(array& a)
        {
            const auto n = static_cast<std::size_t>(a.numel());
            return xt::adapt(a.data<T>(), n, xt::no_ownership(), detail::xt_shape{n});
        }

        template <class T>
        auto flat(const array& a)
        {
            const auto n = static_cast<std::size_t>(a.numel());
            return xt::adapt(a.data<T>(), n, xt::no_ownership(), detail::xt_shape{n});
        }

        template <class T, class Out, class A, class B>
        void assign_binary(binary_op op, Out& out, const A& a, const B& b)
        {
            const T one = T(1), zero = T(0);
            switch (op)
            {
                case binary_op::add: xt::noalias(out) = a + b; break;
                case binary_op::sub: xt::noalias(out) = a - b; break;
                case binary_op::mul: xt::noalias(out) = a * b; break;
                case binary_op::div: xt::noalias(out) = a / b; break;
                case binary_op::pow: xt::noalias(out) = xt::pow(a, b); break;
                case binary_op::maximum: xt::noalias(out) = xt::maximum(a, b); break;
                case binary_op::minimum: xt::noalias(out) = xt::minimum(a, b); break;
                case binary_op::eq: xt::noalias(out) = xt::where(xt::equal(a, b), one, zero); break;
                case binary_op::ne: xt::noalias(out) = xt::where(xt::not_equal(a, b), one, zero); break;
                case binary_op::lt: xt::noalias(out) = xt::where(a < b, one, zero); break;
                case binary_op::le: xt::noalias(out) = xt::where(a <= b, one, zero); break;
                case binary_op::gt: xt::noalias(out) = xt::where(a > b, one, zero); break;
                case binary_op::ge: xt::noalias(out) = xt::where(a >= b, one, zero); break;
            }
        }
    }

    namespace
    {
        // A broadcast binary op as rows: `rows` runs of `length` contiguous output elements,
        // where each operand either walks along the row (step 1) or repeats one value (step 0).
        // Adjacent dimensions are merged wherever both operands allow, so same shapes give one
        // row, and a bias over channels gives rows as long as the spatial extent.
        struct row_plan
        {
            shape_t outer;                        // merged dims before the row
            shape_t a_strides, b_strides;         // per outer dim, in elements (0 = repeat)
            std::int64_t length = 1;
            std::int64_t a_step = 1, b_step = 1;  // 1 or 0 along the row
        };

        shape_t broadcast_strides(const shape_t& from, const shape_t& to)
        {
            const std::size_t lead = to.size() - from.size();
            const shape_t contiguous = contiguous_strides(from);
            shape_t out(to.size(), 0);
            for (std::size_t i = lead; i < to.size(); ++i)
            {
                out[i] = from[i - lead] == 1 ? 0 : contiguous[i - lead];
            }
            return out;
        }

        row_plan plan_rows(const shape_t& a, const shape_t& b, const shape_t& out)
        {
            const shape_t sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
            shape_t dims, da, db;
            for (std::size_t i = 0; i < out.size(); ++i)
            {
                if (out[i] == 1)
                {
                    continue;   // contributes no stepping
                }
                if (!dims.empty() && da.back() == sa[i] * out[i] && db.back() == sb[i] * out[i])
                {
                    dims.back() *= out[i];
                    da.back() = sa[i];
                    db.back() = sb[i];
                }
                else
                {
                    dims.push_back(out[i]);
                    da.push_back(sa[i]);
                    db.push_back(sb[i]);
                }
            }
            row_plan p;
            if (!dims.empty())
            {
                p.length = dims.back();
                p.a_step = da.back();
                p.b_step = db.back();
                dims.pop_back();
                da.pop_back();
                db.pop_back();
            }
            p.outer = dims;
            p.a_strides = da;
            p.b_strides = db;
            return p;
        }

        // A 1-d view of n elements at p, with a fixed-rank shape (no allocation per row).
        template <class T>
        auto row(T* p, std::int64_t n)
        {
            return xt::adapt(p, static_cast<std::size_t>(n), xt::no_ownership(),
                             std::array<std::size_t, 1>{static_cast<std::size_t>(n)});
        }

        template <class T>
        void binary_rows(binary_op op, const row_plan& p, const T* a, const T* b, T* out)
        {
            std::vector<std::int64_t> index(p.outer.size(), 0);
            std::int64_t oa = 0, ob = 0;
            const std::int64_t rows = shape_numel(p.outer);
            for (std::int64_t r = 0; r < rows; ++r)
            {
                auto o = row(out + r * p.length, p.length);
                if (p.a_step == 1 && p.b_step == 1)
                {
                    assign_binary<T>(op, o, row(a + oa, p.length), row(b + ob, p.length));
                }
                else if (p.a_step == 1)
                {
                    assign_binary<T>(op, o, row(a + oa, p.length), xt::xscalar<T>(b[ob]));
                }
                else
                {
                    assign_binary<T>(op, o, xt::xscalar<T>(a[oa]), row(b + ob, p.length));
                }
                // Odometer over the outer dims, keeping both operands' offsets in step.
                for (std::size_t d = index.size(); d-- > 0;)
                {
                    oa += p.a_strides[d];
                    ob += p.b_strides[d];
                    if (++index[d] < p.outer[d])
                    {
                        break;
                    }
                    oa -= p.a_strides[d] * p.outer[d];
                    ob -= p.b_strides[d] * p.outer[d];
                    index[d] = 0;
                }
            }
        }
    }

    namespace
    {
        const char* binary_name(binary_op op)
        {
            switch (op)
            {
                case binary_op::add: return "add";
                case binary_op::sub: return "sub";
                case binary_op::mul: return "mul";
                case binary_op::div: return "div";
                case binary_op::pow: return "pow";
                case binary_op::maximum: return "maximum";
                case binary_op::minimum: return "minimum";
                case binary_op::eq: return "eq";
                case binary_op::ne: return "ne";
                case binary_op::lt: return "lt";
                case binary_op::le: return "le";
                case binary_op::gt: return "gt";
                case binary_op::ge: return "ge";
            }
            return "binary op";
        }

        // Integer arithmetic that is exact: comparisons, + - *, max and min. Division and pow
        // would need PyTorch's type promotion to float, which this library does not do.
        bool exact_on_integers(binary_op op) { return op != binary_op::div && op != binary_op::pow; }

        const char* unary_name(unary_op op)
        {
            switch (op)
            {
                case unary_op::neg: return "neg";
                case unary_op::exp: return "exp";
                case unary_op::log: return "log";
                case unary_op::sqrt: return "sqrt";
                case unary_op::abs: return "abs";
                case unary_op::sign: return "sign";
                case unary_op::relu: return "relu";
                case unary_op::sigmoid: return "sigmoid";
                case unary_op::tanh: return "tanh";
                case unary_op::step: return "relu";   // only relu's backward uses it
            }
            return "unary op";
        }
    }

    namespace
    {
        // Pointer loops the compiler must be able to vectorise: restrict-qualified locals, so
        // that a store cannot be assumed to change the pointers or the inputs (with pointers
        // captured by reference in a lambda, GCC reloaded them per element and kept a
        // compare-and-branch per element: relu's backward ran at scalar speed, 10% of a
        // TinySeg step). Comparisons are selects, never branches.
        template <class T>
        void relu_backward_run(const T* __restrict g, const T* __restrict y, T* __restrict out, std::int64_t n)
        {
            for (std::int64_t i = 0; i < n; ++i)
            {
                const T gi = g[i], yi = y[i];   // both loaded: a conditional load is not if-converted
                out[i] = yi > T(0) ? gi : T(0);
            }
        }

        // max(x, 0) keeping NaN as PyTorch does (x <= 0 is false for NaN). Through xtensor's
        // maximum the forward went via a temporary and a memcpy: 5% of a TinySeg step.
        template <class T>
        void relu_run(const T* __restrict x, T* __restrict out, std::int64_t n)
        {
            for (std::int64_t i = 0; i < n; ++i)
            {
                const T xi = x[i];
                out[i] = xi <= T(0) ? T(0) : xi;
            }
        }

        template <class T>
        void step_run(const T* __restrict x, T* __restrict out, std::int64_t n)
        {
            for (std::int64_t i = 0; i < n; ++i)
            {
                out[i] = x[i] > T(0) ? T(1) : T(0);
            }
        }
    }

    array binary(binary_op op, const array& a, const array& b)
    {
        const shape_t shape = broadcast_shapes(a.shape(), b.shape(), binary_name(op));
        if (a.dtype() == int64 && !exact_on_integers(op))
        {
            detail::not_for_dtype(binary_name(op), a.dtype());
        }
        array out = array::empty(shape, a.dtype());
        const row_plan p = plan_rows(a.shape(), b.shape(), shape);
        if (out.numel() == 0)
        {
            return out;
        }
        detail::dispatch(a.dtype(), [&](auto t) {
            using T = decltype(t);
            if (p.outer.empty() && p.a_step == 1 && p.b_step == 1)
            {
                // Same shapes: one row, split into chunks over the threads.
                const T* as = a.data<T>();
                const T* bs = b.data<T>();
                T* os = out.data<T>();
                detail::parallel_for(p.length, parallel_grain, [&](std::int64_t begin, std::int64_t end) {
                    auto o = row(os + begin, end - begin);
                    assign_binary<T>(op, o, row(as + begin, end - begin), row(bs + begin, end - begin));
                });
            }
            else if (p.length >= 16 || p.outer.empty())
            {
                // Contiguous rows (all of it for same shapes or a scalar operand): xtensor's
                // linear loops over each row.
                binary_rows<T>(op, p, a.data<T>(), b.data<T>(), out.data<T>());
            }
            else
            {
                // Short rows would spend more time setting up than computing: n-d broadcasting.
                auto o = detail::xview<T>(out);
                assign_binary<T>(op, o, detail::xview<T>(a), detail::xview<T>(b));
            }
        });
        return out;
    }

    array unary(unary_op op, const array& x)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch_floating(x.dtype(), unary_name(op), [&](auto t) {
            using T = decltype(t);
            const T* src = x.data<T>();
            T* dst = out.data<T>();
            detail::parallel_for(x.numel(), parallel_grain, [&](std::int64_t begin, std::int64_t end) {
                auto o = row(dst + begin, end - begin);
                auto a = row(src + begin, end - begin);
                switch (op)
                {
                    case unary_op::neg: xt::noalias(o) = -a; break;
                    case unary_op::exp: xt::noalias(o) = xt::exp(a); break;
                    case unary_op::log: xt::noalias(o) = xt::log(a); break;
                    case unary_op::sqrt: xt::noalias(o) = xt::sqrt(a); break;
                    case unary_op::abs: xt::noalias(o) = xt::abs(a); break;
                    case unary_op::sign: xt::noalias(o) = xt::sign(a); break;
                    case unary_op::relu: relu_run(src + begin, dst + begin, end - begin); break;
                    // 1/(1+exp(-x)), vectorised: it overflows harmlessly to 0 for very negative x.
                    case unary_op::sigmoid: vector_math::sigmoid(src + begin, dst + begin, end - begin); break;
                    case unary_op::tanh: xt::noalias(o) = xt::tanh(a); break;
                    case unary_op::step:
                        // A plain loop: the comparison becomes a vector mask (xt::where here
                        // compiled to a branch per element, 4.4 ns on random signs).
                        step_run(src + begin, dst + begin, end - begin);
                        break;
                }
            });
        });
        return out;
    }

    array relu_backward(const array& g, const array& y)
    {
        array out = array::empty(y.shape(), y.dtype());
        detail::dispatch_floating(y.dtype(), "relu", [&](auto t) {
            using T = decltype(t);
            const T* gs = g.data<T>();
            const T* ys = y.data<T>();
            T* dst = out.data<T>();
            detail::parallel_for(y.numel(), parallel_grain, [&](std::int64_t begin, std::int64_t end) {
                relu_backward_run(gs + begin, ys + begin, dst + begin, end - begin);
            });
        });
        return out;
    }

    array clamp(const array& x, double lo, double hi)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch_floating(x.dtype(), "clamp", [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            xt::noalias(o) = xt::clip(flat<T>(x), static_cast<T>(lo), static_cast<T>(hi));
        });
        return out;
    }

    array scalar_pow(const array& x, double exponent)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch_floating(x.dtype(), "pow", [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            xt::noalias(o) = xt::pow(flat<T>(x), static_cast<T>(exponent));
        });
        return out;
    }

    array sum_to(const array& x, const shape_t& shape)
    {
        if (x.shape() == shape)
        {
            return x;
        }
        // Axes to reduce: the extra leading ones, and those where the target has size 1.
        const std::size_t lead = x.shape().size() - shape.size();
        std::vector<std::int64_t> axes;
        for (std::size_t i = 0; i < x.shape().size(); ++i)
        {
            if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1))
            {
                axes.push_back(static_cast<std::int64_t>(i));
            }
        }
        return reduce_sum(x, axes).reshaped(shape);
    }

    array in_range(const array& x, double lo, double hi)
    {
        array out = array::empty(x.shape(), x.dtype());
        detail::dispatch_floating(x.dtype(), "clamp", [&](auto t) {
            using T = decltype(t);
            auto o = flat<T>(out);
            auto a = flat<T>(x);
            xt::noalias(o) = xt::where(a >= static_cast<T>(lo) && a <= static_cast<T>(hi), T(1), T(0));
        });
        return out;
    }
}
