// A short tour of adjoint: create tensors, compute with broadcasting, take a gradient
// and check it against finite differences. It trains nothing; see tests/ for that.
#include <adjoint/adjoint.hpp>

#include <iostream>

using namespace adjoint;

int main()
{
    // Tensors: float32 by default, float64 on request; shapes follow NumPy's broadcasting.
    Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    Tensor b = arange(3.0);
    std::cout << "a =\n" << a << "\n\nb =\n" << b << "\n\na * b + 1 =\n" << a * b + 1.0 << "\n\n";

    // Gradients: mark the leaves, compute a scalar, call backward().
    Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}, {-0.75, 1.5}}, float64).requires_grad_();
    Tensor x = tensor({{1.0, 2.0, 3.0}}, float64);
    Tensor loss = sum(relu(matmul(x, w)) * 2.0);
    loss.backward();
    std::cout << "loss = sum(2 relu(x w)) = " << loss.item() << "\n\nd loss / d w =\n" << w.grad() << "\n\n";

    // gradcheck: the analytical Jacobian against central differences, in float64, for
    // every input that requires grad.
    manual_seed(0);
    Tensor v = randn({4, 3}, float64).requires_grad_();
    auto result = gradcheck([](const tensor_list& in) { return tanh(matmul(in[0], in[1])); }, {v, w});
    std::cout << "gradcheck of tanh(x w): " << (result.ok ? "passed" : "FAILED: " + result.message) << "\n";
    return result.ok ? 0 : 1;
}
