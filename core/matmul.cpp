// Batched matmul (see matmul.hpp): batch dimensions broadcast by mapping every output batch
// index to the matrix it reads in each operand; the matrices themselves go to BLAS.
#include <adjoint/core/gemm.hpp>
#include <adjoint/core/matmul.hpp>
#include <adjoint/core/xt.hpp>

namespace adjoint::kernels
{
    namespace
    {
        // For each flat index into `to`, the flat index of the element of `from` it reads
        // when `from` is broadcast to `to` (size-1 and missing leading dims repeat).
        std::vector<std::int64_t> broadcast_offsets(const shape_t& from, const shape_t& to)
        {
            const std::size_t lead = to.size() - from.size();
            const shape_t from_strides = contiguous_strides(from);
            std::vector<std::int64_t> offsets(static_cast<std::size_t>(shape_numel(to)), 0);
            std::int64_t block = 1;   // product of `to` dims after the current one
            for (std::size_t d = to.size(); d-- > lead;)
            {
                const std::int64_t stride = from[d - lead] == 1 ? 0 : from_strides[d - lead];
                for (std::size_t flat = 0; flat < offsets.size(); ++flat)
                {
                    offsets[flat] += (static_cast<std::int64_t>(flat) / block) % to[d] * stride;
                }
                block *= to[d];
            }
            return offsets;
        }
    }

    array matmul(const array& a, const array& b, bool trans_a, bool trans_b)
    {
        const shape_t& as = a.shape();
        const shape_t& bs = b.shape();
        const std::int64_t ar = as[as.size() - 2], ac = as.back();   // stored rows/cols
        const std::int64_t br = bs[bs.size() - 2], bc = bs.back();
        const std::int64_t n = trans_a ? ac : ar, k = trans_a ? ar : ac, m = trans_b ? br : bc;
        const shape_t a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
        shape_t out_shape = broadcast_shapes(a_batch, b_batch, "matmul");
        const std::int64_t batches = shape_numel(out_shape);
        out_shape.push_back(n);
        out_shape.push_back(m);
        if (k == 0)
        {
            array zero = array::empty(out_shape, a.dtype(), "matmul");   // an empty sum; BLAS may skip writing C
            zero.fill_(0.0);
            return zero;
        }
        array out = array::empty(out_shape, a.dtype(), "matmul");
        detail::dispatch_floating(a.dtype(), "matmul", [&](auto t) {
            using T = decltype(t);
            const T* pa = a.data<T>();
            const T* pb = b.data<T>();
            T* pc = out.data<T>();
            if (!trans_a && shape_numel(b_batch) == 1)
            {
                // One b for every batch and a's rows contiguous: the batch folds into n,
                // a single large gemm (the linear-layer case x @ W).
                gemm(false, trans_b, batches * n, m, k, T(1), pa, ac, pb, bc, T(0), pc, m);
                return;
            }
            const auto a_off = broadcast_offsets(a_batch, shape_t(out_shape.begin(), out_shape.end() - 2));
            const auto b_off = broadcast_offsets(b_batch, shape_t(out_shape.begin(), out_shape.end() - 2));
            for (std::int64_t i = 0; i < batches; ++i)
            {
                gemm(trans_a, trans_b, n, m, k, T(1), pa + a_off[i] * ar * ac, ac, pb + b_off[i] * br * bc, bc, T(0),
                     pc + i * n * m, m);
            }
        });
        return out;
    }
}
