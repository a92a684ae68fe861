// Shared by the optimizer suites: the least-squares problem of tests/fixtures/generate_optim.py
// (loss = sum((x W + b - t)^2)), its starting parameters, and one training step on it.
#pragma once
#include "golden_helpers.hpp"

#include <cstring>

namespace optim_test
{
    using namespace adjoint;

    struct problem
    {
        Tensor x = golden::fixture("optim", "problem_x");
        Tensor t = golden::fixture("optim", "problem_t");
        Tensor W, b;
        explicit problem(adjoint::dtype dt = float64)
        {
            if (dt != float64)
            {
                x = x.to(dt);
                t = t.to(dt);
            }
            W = golden::fixture("optim", "problem_W").to(dt).detach().requires_grad_();
            b = golden::fixture("optim", "problem_b").to(dt).detach().requires_grad_();
        }
        tensor_list params() const { return {W, b}; }
        void backward() const { sum(pow(matmul(x, W) + b - t, 2.0)).backward(); }
        // zero_grad, backward, step: one iteration as the generator runs it.
        void train_step(optim::Optimizer& opt) const
        {
            opt.zero_grad();
            backward();
            opt.step();
        }
    };

    // Row s of a stacked golden ([steps, ...] -> [...]).
    inline Tensor row(const Tensor& stacked, std::int64_t s)
    {
        const shape_t rest(stacked.shape().begin() + 1, stacked.shape().end());
        return reshape(narrow(stacked, 0, s, 1), rest);
    }

    // Exact equality of two tensors' bytes.
    inline bool same_bytes(const Tensor& a, const Tensor& b)
    {
        return a.dtype() == b.dtype() && a.shape() == b.shape() &&
               std::memcmp(a.data().data_ptr(), b.data().data_ptr(), a.data().nbytes()) == 0;
    }
}
