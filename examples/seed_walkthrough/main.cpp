// The seed blog post's two examples computed with adjoint's real ops: a 3x3 image
// convolved with a 2x2 kernel, and a 2x2 map transposed-convolved with a 2x2 kernel. Then
// their gradients, and the point of the project: the input gradient of a convolution *is* a
// transposed convolution (and the other way round). For the checkerboard picture see
// examples/checkerboard.
#include <adjoint/adjoint.hpp>

#include <iomanip>
#include <iostream>
#include <string>

using namespace adjoint;

namespace
{
    // The post's matrices as [N=1, C=1, H, W] float64 tensors.
    Tensor image(const nested_values& rows)
    {
        Tensor t = tensor(rows, float64);
        return reshape(t, {1, 1, t.size(0), t.size(1)});
    }

    void show(const std::string& label, const Tensor& t)
    {
        const auto v = t.to_vector();
        const std::int64_t rows = t.size(-2), cols = t.size(-1);
        std::cout << label << '\n';
        for (std::int64_t r = 0; r < rows; ++r)
        {
            std::cout << "    [";
            for (std::int64_t c = 0; c < cols; ++c)
            {
                std::cout << std::setw(4) << v[static_cast<std::size_t>(r * cols + c)];
            }
            std::cout << " ]\n";
        }
    }

    bool equal(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && a.to_vector() == b.to_vector(); }
    const char* yes_no(bool b) { return b ? "yes" : "NO"; }
}

int main()
{
    std::cout << "== 1. Convolution (stride 1, no padding) ==\n";
    Tensor x = image({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}).requires_grad_();
    Tensor k = image({{1, 2}, {3, 4}}).requires_grad_();
    Tensor y = conv2d(x, k);
    show("input I:", x);
    show("kernel K:", k);
    show("conv2d(I, K):", y);
    std::cout << "first entry: 1*1 + 2*2 + 4*3 + 5*4 = " << y.to_vector()[0]
              << "   (the post's prose says 19; its own arithmetic, and this, give 37)\n\n";

    std::cout << "== 2. Transposed convolution (stride 1, no padding) ==\n";
    Tensor xt = image({{0, 1}, {2, 3}}).requires_grad_();
    Tensor kt = image({{0, 1}, {2, 3}}).requires_grad_();
    Tensor yt = conv_transpose2d(xt, kt);
    show("input X:", xt);
    show("kernel K:", kt);
    show("conv_transpose2d(X, K): each X[i][j] stamps X[i][j] * K at (i, j), stamps add up", yt);
    std::cout << '\n';

    std::cout << "== 3. Gradients of L = sum(output) ==\n";
    sum(y).backward();
    show("conv2d:  dL/dI", x.grad());
    show("conv2d:  dL/dK  (sum of each 2x2 block of I)", k.grad());
    sum(yt).backward();
    show("conv_transpose2d:  dL/dX  (every X[i][j] meets all of K: sum(K) = 6)", xt.grad());
    show("conv_transpose2d:  dL/dK  (every K[a][b] meets all of X: sum(X) = 6)", kt.grad());
    std::cout << '\n';

    std::cout << "== 4. Each backward is the other's forward ==\n";
    // dL/dI for upstream gradient G is conv_transpose2d(G, K); here G is all ones.
    Tensor g = ones_like(y);
    Tensor by_formula = conv_transpose2d(g, k.detach());
    show("dL/dI from backward():", x.grad());
    show("conv_transpose2d(ones 2x2, K):", by_formula);
    std::cout << "equal: " << yes_no(equal(x.grad(), by_formula)) << '\n';
    // With create_graph the gradient is a recorded tensor, so it says which op made it.
    Tensor y2 = conv2d(x, k);
    Tensor dx = grad({y2}, {x}, {g}, /*retain_graph=*/false, /*create_graph=*/true)[0];
    std::cout << "grad_fn of dL/dI (create_graph=true): " << dx.grad_fn()->name() << "\n\n";

    // And the other way round: the transposed op's input gradient is a convolution.
    Tensor gt = image({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
    xt.zero_grad();
    conv_transpose2d(xt, kt).backward(gt);
    Tensor conv_of_g = conv2d(gt, kt.detach());
    show("transposed, upstream G = [[1,2,3],[4,5,6],[7,8,9]]: dL/dX from backward():", xt.grad());
    show("conv2d(G, K):", conv_of_g);
    std::cout << "equal: " << yes_no(equal(xt.grad(), conv_of_g)) << '\n';
    Tensor yt2 = conv_transpose2d(xt, kt);
    Tensor dxt = grad({yt2}, {xt}, {gt}, false, true)[0];
    std::cout << "grad_fn of dL/dX (create_graph=true): " << dxt.grad_fn()->name() << '\n';

    const bool ok = equal(y, image({{37, 47}, {67, 77}})) && equal(yt, image({{0, 0, 1}, {0, 4, 6}, {4, 12, 9}})) &&
                    equal(x.grad(), by_formula) && equal(xt.grad(), conv_of_g);
    return ok ? 0 : 1;
}
