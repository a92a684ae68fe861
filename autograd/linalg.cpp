// matmul: numpy's rules for 1-d operands are reshapes around one batched product of
// transposable operands, whose backward is two more such products (BLAS transposes them,
// no copies) summed back over broadcast batch dimensions.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/matmul.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // op(a) @ op(b) for operands of at least 2 dimensions, op transposing the last two axes.
        Tensor matmul_t(const Tensor& a, const Tensor& b, bool ta, bool tb)
        {
            return detail::record(
                kernels::matmul(a.data(), b.data(), ta, tb), "matmul", {a, b},
                [a, b, ta, tb](const Tensor& g, const std::vector<bool>& needs) -> tensor_list {
                    // C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G, transposed
                    // back when the stored operand was used transposed.
                    Tensor ga, gb;
                    if (needs[0])
                    {
                        ga = sum_to(ta ? matmul_t(b, g, tb, true) : matmul_t(g, b, false, !tb), a.shape());
                    }
                    if (needs[1])
                    {
                        if (b.dim() == 2 && !ta && a.dim() > 2)
                        {
                            // One b shared by the whole batch: fold the batch into the rows so its
                            // gradient is one product instead of a product per batch then a sum.
                            const std::int64_t k = a.shape().back(), m = g.shape().back();
                            const Tensor a2 = reshape(a, {-1, k}), g2 = reshape(g, {-1, m});
                            gb = tb ? matmul_t(g2, a2, true, false) : matmul_t(a2, g2, true, false);
                        }
                        else
                        {
                            gb = sum_to(tb ? matmul_t(g, a, true, ta) : matmul_t(a, g, !ta, false), b.shape());
                        }
                    }
                    return {ga, gb};
                });
        }
    }

    Tensor matmul(const Tensor& a, const Tensor& b)
    {
        detail::check_same_dtype("matmul", {a, b});
        if (a.dim() == 0 || b.dim() == 0)
        {
            throw std::invalid_argument(detail::str("matmul: both operands must have at least 1 dimension, got ",
                                                    shape_str(a.shape()), " @ ", shape_str(b.shape())));
        }
        // numpy: a 1-d left operand is a row vector, a 1-d right one a column; the added
        // dimension is removed from the result.
        const Tensor a2 = a.dim() == 1 ? reshape(a, {1, a.size(0)}) : a;
        const Tensor b2 = b.dim() == 1 ? reshape(b, {b.size(0), 1}) : b;
        const std::int64_t ka = a2.shape().back(), kb = b2.shape()[b2.shape().size() - 2];
        if (ka != kb)
        {
            throw std::invalid_argument(detail::str("matmul: inner dimensions must match, got ", shape_str(a.shape()),
                                                    " @ ", shape_str(b.shape()), " (", ka, " vs ", kb, ")"));
        }
        const shape_t a_batch(a2.shape().begin(), a2.shape().end() - 2);
        const shape_t b_batch(b2.shape().begin(), b2.shape().end() - 2);
        shape_t out_shape;
        try
        {
            out_shape = broadcast_shapes(a_batch, b_batch, "matmul");
        }
        catch (const std::invalid_argument&)
        {
            throw std::invalid_argument(detail::str("matmul: batch dimensions must be broadcastable, got ",
                                                    shape_str(a.shape()), " @ ", shape_str(b.shape()), " (batch ",
                                                    shape_str(a_batch), " vs ", shape_str(b_batch), ")"));
        }
        Tensor out = matmul_t(a2, b2, false, false);
        if (a.dim() == 1 || b.dim() == 1)
        {
            if (a.dim() > 1)
            {
                out_shape.push_back(a.size(-2));
            }
            if (b.dim() > 1)
            {
                out_shape.push_back(b.size(-1));
            }
            out = reshape(out, out_shape);
        }
        return out;
    }
}
