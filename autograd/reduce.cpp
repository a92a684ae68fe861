// Reductions: forward through core/reduce kernels, backward expands the gradient back
// over the reduced axes (see reduce.hpp for the tie rules of max/min).
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/ops.hpp>
#include <adjoint/core/elementwise.hpp>

namespace adjoint
{
    Tensor sum(const Tensor& x)
    {
        return detail::record(kernels::sum_to(x.data(), {}), "sum", {x},
                              [xs = x.shape()](const Tensor& g, const std::vector<bool>&) -> tensor_list {
                                  return {expand(g, xs)};
                              });
    }
}
