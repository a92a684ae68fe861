// Gradient clipping (see clip_grad.hpp). The total norm is computed as torch's: the norm of each
// gradient, then the norm of those norms, each accumulated in double and rounded to the
// gradients' dtype; the coefficient is computed in that dtype too.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/optim/clip_grad.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace adjoint::optim
{
    using adjoint::detail::str;

    namespace
    {
        tensor_list defined_grads(const tensor_list& params)
        {
            tensor_list grads;
            for (const Tensor& p : params)
            {
                if (p.defined() && p.grad().defined())
                {
                    grads.push_back(p.grad());
                }
            }
            return grads;
        }

        // The norm of order p of `values`; p = infinity gives the largest magnitude.
        double norm(const std::vector<double>& values, double p)
        {
            double acc = 0.0;
            for (double v : values)
            {
                const double a = std::abs(v);
                if (std::isinf(p))
                {
                    acc = (std::isnan(a) || std::isnan(acc)) ? NAN : std::max(acc, a);
                }
                else
                {
                    acc += p == 2.0 ? a * a : p == 1.0 ? a : std::pow(a, p);
                }
            }
            if (std::isinf(p) || p == 1.0)
            {
                return acc;
            }
            return p == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
        }

        // Rounds to the dtype the gradients are computed in.
        double in_dtype(double v, adjoint::dtype dt) { return dt == float32 ? static_cast<float>(v) : v; }
    }

    Tensor clip_grad_norm_(const tensor_list& params, double max_norm, double norm_type, bool error_if_nonfinite)
    {
        if (!(norm_type > 0.0))
        {
            throw std::invalid_argument(
                str("clip_grad_norm_: expected norm_type > 0 (or infinity), got ", norm_type));
        }
        const tensor_list grads = defined_grads(params);
        if (grads.empty())
        {
            return scalar(0.0);
        }
        const adjoint::dtype dt = grads[0].dtype();
        std::vector<double> norms;
        for (const Tensor& g : grads)
        {
            norms.push_back(in_dtype(norm(g.to_vector(), norm_type), dt));
        }
        const double total = in_dtype(norm(norms, norm_type), dt);
        if (error_if_nonfinite && !std::isfinite(total))
        {
            throw std::runtime_error(str("clip_grad_norm_: the total norm of order ", norm_type,
                                         " of the gradients is non-finite (", total,
                                         "), so it cannot be clipped; pass error_if_nonfinite = false to scale the "
                                         "gradients by it anyway"));
        }
        const double coef = dt == float32 ? static_cast<double>(static_cast<float>(max_norm) /
                                                                (static_cast<float>(total) + 1e-6f))
                                          : max_norm / (total + 1e-6);
        const double clamped = std::min(coef, 1.0);
        no_grad_guard no_grad;
        for (const Tensor& g : grads)
        {
            Tensor(g).mul_(clamped);
        }
        return scalar(total, dt);
    }

    void clip_grad_value_(const tensor_list& params, double clip_value)
    {
        if (!(clip_value >= 0.0))
        {
            throw std::invalid_argument(str("clip_grad_value_: expected clip_value >= 0, got ", clip_value));
        }
        no_grad_guard no_grad;
        for (const Tensor& g : defined_grads(params))
        {
            Tensor(g).copy_(clamp(g, -clip_value, clip_value));
        }
    }
}
