// gradcheck / gradgradcheck: compare analytical gradients with central differences, in
// float64, for every input that requires grad. Defaults follow PyTorch (eps 1e-6,
// atol 1e-5, rtol 1e-3). They report; they do not throw on a mismatch. They never write into
// the caller's inputs: perturbed copies are passed to fn. Modules: layers/gradcheck_module.hpp.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace adjoint
{
    using tensor_fn = std::function<Tensor(const tensor_list& inputs)>;

    struct gradcheck_options
    {
        double eps = 1e-6;
        double atol = 1e-5;
        double rtol = 1e-3;
        std::uint64_t seed = 0;   // gradgradcheck: seed of the random output gradient
    };

    struct gradcheck_result
    {
        bool ok = true;
        std::string message;   // on failure: input, worst element, analytical vs numerical
        explicit operator bool() const { return ok; }
    };

    // fn must be deterministic; its output may have any shape. Inputs must be float64.
    // Fails when an analytical gradient is all zero while the numerical one is not.
    gradcheck_result gradcheck(const tensor_fn& fn, const tensor_list& inputs, const gradcheck_options& options = {});

    // Checks the gradient of the gradient: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v)
    // with create_graph, for a fixed random v.
    gradcheck_result gradgradcheck(const tensor_fn& fn, const tensor_list& inputs,
                                   const gradcheck_options& options = {});

    namespace detail
    {
        // A tensor the check differentiates with respect to. Its buffer is perturbed in place,
        // one element at a time, and each element is written back bit-identically, also when
        // the function throws (its version is bumped). `label` names it in reports
        // ("input 0", "parameter conv.weight"), `symbol` in the pair "d output[i] / d <symbol>[j]".
        struct gradcheck_variable
        {
            Tensor tensor;   // a float64 leaf that requires grad
            std::string label;
            std::string symbol;
        };

        // The one finite-difference check behind gradcheck and gradcheck_module (layers/).
        // evaluate() must compute from the variables' current values; `op` prefixes reports.
        gradcheck_result check_jacobians(const char* op, const std::function<Tensor()>& evaluate,
                                         const std::vector<gradcheck_variable>& variables,
                                         const gradcheck_options& options);
    }
}
