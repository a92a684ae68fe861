// gradcheck_module: gradcheck of a module with respect to its own parameters and to the
// inputs that require grad. The parameters are perturbed in place — the very tensors the
// module holds, so forward needs no change — and every value is written back bit-identically
// before it returns, also when the check fails or forward throws (buffers too, so a forward
// that updates running statistics leaves them as they were). Their versions are bumped, so a
// graph recorded before the check refuses to run backward afterwards, as after any in-place
// update. The finite differences themselves are autograd/gradcheck's (detail::check_jacobians).
// Not here: gradgradcheck of a module (use gradgradcheck on the layer's functional form).
#pragma once
#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/layers/module.hpp>

namespace adjoint
{
    // forward(inputs) runs the module; it is called with copies of `inputs` (the ones that
    // require grad are checked too) and must compute from them. The module's floating
    // parameters that require grad must all be float64 (std::invalid_argument otherwise,
    // suggesting module.to(float64)). Reports name parameters by their dotted names.
    //
    //   Conv2d conv(Conv2dOptions(2, 3, 3));
    //   conv.to(float64);
    //   auto r = gradcheck_module(conv, [&](const tensor_list& in) { return conv(in[0]); }, {x});
    gradcheck_result gradcheck_module(Module& module, const tensor_fn& forward, const tensor_list& inputs,
                                      const gradcheck_options& options = {});
}
