// Initialisers: the value rules (fans, gains, bounds) first, then the fills. Every fill draws
// a fresh tensor from the global generator and copies it in with Tensor::copy_ under
// no_grad_guard, the one way values enter an existing parameter here. orthogonal_ carries its
// own small Householder QR: it is the only user, and it needs no more than Q and diag(R).
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/elementwise.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/init.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace adjoint::init
{
    namespace
    {
        void check_defined(const char* op, const Tensor& t)
        {
            if (!t.defined())
            {
                throw std::invalid_argument(detail::str(op, ": a defined tensor, got an undefined one"));
            }
        }

        // Writes `values` (t's shape and dtype) into t's buffer.
        Tensor assign(Tensor t, const Tensor& values)
        {
            no_grad_guard guard;
            t.copy_(values);
            return t;
        }

        // Fans for an initialiser named op: at least 2 dimensions, as PyTorch requires.
        fans fans_for(const char* op, const shape_t& shape)
        {
            if (shape.size() < 2)
            {
                throw std::invalid_argument(detail::str(op, ": expected a tensor with at least 2 dimensions (fan in and "
                                                            "fan out are undefined for fewer), got shape ",
                                                        shape_str(shape)));
            }
            return calculate_fan_in_and_fan_out(shape);
        }

        double gain_for(const char* op, const std::string& nonlinearity, double param)
        {
            static const char* const unit_gain[] = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                                    "conv_transpose2d", "conv_transpose3d", "sigmoid"};
            for (const char* name : unit_gain)
            {
                if (nonlinearity == name)
                {
                    return 1.0;
                }
            }
            if (nonlinearity == "tanh")
            {
                return 5.0 / 3.0;
            }
            if (nonlinearity == "relu")
            {
                return std::sqrt(2.0);
            }
            if (nonlinearity == "leaky_relu")
            {
                if (!std::isfinite(param))
                {
                    throw std::invalid_argument(detail::str(op, ": negative_slope must be a finite number, got ", param));
                }
                return leaky_relu_gain(param);
            }
            if (nonlinearity == "selu")
            {
                return 0.75;
            }
            throw std::invalid_argument(detail::str(
                op, ": unsupported nonlinearity \"", nonlinearity,
                "\"; expected one of linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, "
                "conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu"));
        }

        double kaiming_std_for(const char* op, const shape_t& shape, double a, fan_mode mode,
                               const std::string& nonlinearity)
        {
            if (mode != fan_mode::fan_in && mode != fan_mode::fan_out)
            {
                throw std::invalid_argument(detail::str(op, ": mode must be fan_mode::fan_in or fan_mode::fan_out, got ",
                                                        static_cast<int>(mode)));
            }
            const fans f = fans_for(op, shape);
            const std::int64_t fan = mode == fan_mode::fan_in ? f.fan_in : f.fan_out;
            if (fan <= 0)
            {
                throw std::invalid_argument(detail::str(op, ": a shape with a positive fan, got ", shape_str(shape)));
            }
            return gain_for(op, nonlinearity, a) / std::sqrt(static_cast<double>(fan));
        }

        double xavier_std(const char* op, const shape_t& shape, double gain)
        {
            const fans f = fans_for(op, shape);
            return gain * std::sqrt(2.0 / static_cast<double>(f.fan_in + f.fan_out));
        }

        // Householder QR of the row-major m x n matrix a (m >= n), reduced: q (m x n, row-major)
        // with orthonormal columns and the signs of R's diagonal, so that q * sign(diag R) is
        // the Q of the QR whose R has a positive diagonal.
        void householder_qr(std::vector<double> a, std::int64_t m, std::int64_t n, std::vector<double>& q,
                            std::vector<double>& r_sign)
        {
            auto at = [n](std::vector<double>& v, std::int64_t i, std::int64_t j) -> double& { return v[static_cast<std::size_t>(i * n + j)]; };
            std::vector<std::vector<double>> reflectors(static_cast<std::size_t>(n));
            r_sign.assign(static_cast<std::size_t>(n), 1.0);
            for (std::int64_t k = 0; k < n; ++k)
            {
                // v = a[k:, k] - alpha e_1 with alpha = -sign(a_kk) |a[k:, k]| (no cancellation);
                // H = I - 2 v v^T / v^T v maps the column to alpha e_1, so R[k][k] = alpha.
                std::vector<double> v(static_cast<std::size_t>(m - k));
                double norm2 = 0.0;
                for (std::int64_t i = k; i < m; ++i)
                {
                    v[static_cast<std::size_t>(i - k)] = at(a, i, k);
                    norm2 += at(a, i, k) * at(a, i, k);
                }
                const double norm = std::sqrt(norm2);
                const double alpha = v[0] > 0.0 ? -norm : norm;
                r_sign[static_cast<std::size_t>(k)] = alpha < 0.0 ? -1.0 : 1.0;
                v[0] -= alpha;
                double vv = 0.0;
                for (double x : v)
                {
                    vv += x * x;
                }
                if (vv > 0.0)
                {
                    for (std::int64_t j = k; j < n; ++j)
                    {
                        double dot = 0.0;
                        for (std::int64_t i = k; i < m; ++i)
                        {
                            dot += v[static_cast<std::size_t>(i - k)] * at(a, i, j);
                        }
                        const double f = 2.0 * dot / vv;
                        for (std::int64_t i = k; i < m; ++i)
                        {
                            at(a, i, j) -= f * v[static_cast<std::size_t>(i - k)];
                        }
                    }
                    reflectors[static_cast<std::size_t>(k)] = std::move(v);
                }
            }
            // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
            q.assign(static_cast<std::size_t>(m * n), 0.0);
            for (std::int64_t j = 0; j < n; ++j)
            {
                at(q, j, j) = 1.0;
            }
            for (std::int64_t k = n; k-- > 0;)
            {
                const std::vector<double>& v = reflectors[static_cast<std::size_t>(k)];
                if (v.empty())
                {
                    continue;   // a zero column: H = I
                }
                double vv = 0.0;
                for (double x : v)
                {
                    vv += x * x;
                }
                for (std::int64_t j = 0; j < n; ++j)
                {
                    double dot = 0.0;
                    for (std::int64_t i = k; i < m; ++i)
                    {
                        dot += v[static_cast<std::size_t>(i - k)] * at(q, i, j);
                    }
                    const double f = 2.0 * dot / vv;
                    for (std::int64_t i = k; i < m; ++i)
                    {
                        at(q, i, j) -= f * v[static_cast<std::size_t>(i - k)];
                    }
                }
            }
        }
    }

    fans calculate_fan_in_and_fan_out(const shape_t& shape)
    {
        if (shape.size() < 2)
        {
            throw std::invalid_argument(detail::str("calculate_fan_in_and_fan_out: a shape with at least 2 "
                                                    "dimensions, got ",
                                                    shape_str(shape)));
        }
        const std::int64_t receptive_field = shape_numel(shape_t(shape.begin() + 2, shape.end()));
        return {shape[1] * receptive_field, shape[0] * receptive_field};
    }

    double calculate_gain(const std::string& nonlinearity, double param)
    {
        return gain_for("calculate_gain", nonlinearity, param);
    }

    double leaky_relu_gain(double negative_slope) { return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope)); }

    double kaiming_std(const shape_t& shape, double a, fan_mode mode, const std::string& nonlinearity)
    {
        return kaiming_std_for("kaiming_std", shape, a, mode, nonlinearity);
    }

    double kaiming_uniform_bound(const shape_t& shape, double a, fan_mode mode, const std::string& nonlinearity)
    {
        // Uniform(-b, b) has standard deviation b / sqrt(3).
        return std::sqrt(3.0) * kaiming_std_for("kaiming_uniform_", shape, a, mode, nonlinearity);
    }

    Tensor constant_(Tensor t, double value)
    {
        check_defined("constant_", t);
        no_grad_guard guard;
        t.fill_(value);
        return t;
    }

    Tensor zeros_(Tensor t) { return constant_(std::move(t), 0.0); }
    Tensor ones_(Tensor t) { return constant_(std::move(t), 1.0); }

    Tensor uniform_(Tensor t, double low, double high)
    {
        check_defined("uniform_", t);
        if (!(low <= high))
        {
            throw std::invalid_argument(detail::str("uniform_: low <= high, got low=", low, ", high=", high));
        }
        return assign(t, uniform(t.shape(), low, high, t.dtype()));
    }

    Tensor normal_(Tensor t, double mean, double std)
    {
        check_defined("normal_", t);
        if (!(std >= 0.0) || !std::isfinite(std) || !std::isfinite(mean))
        {
            throw std::invalid_argument(
                detail::str("normal_: expected a finite mean and std >= 0, got mean=", mean, ", std=", std));
        }
        return assign(t, randn(t.shape(), t.dtype()) * std + mean);
    }

    Tensor kaiming_uniform_(Tensor t, double a, fan_mode mode, const std::string& nonlinearity)
    {
        check_defined("kaiming_uniform_", t);
        if (t.numel() == 0)
        {
            return t;
        }
        const double bound = std::sqrt(3.0) * kaiming_std_for("kaiming_uniform_", t.shape(), a, mode, nonlinearity);
        return uniform_(t, -bound, bound);
    }

    Tensor kaiming_normal_(Tensor t, double a, fan_mode mode, const std::string& nonlinearity)
    {
        check_defined("kaiming_normal_", t);
        if (t.numel() == 0)
        {
            return t;
        }
        return normal_(t, 0.0, kaiming_std_for("kaiming_normal_", t.shape(), a, mode, nonlinearity));
    }

    Tensor xavier_uniform_(Tensor t, double gain)
    {
        check_defined("xavier_uniform_", t);
        if (t.numel() == 0)
        {
            return t;
        }
        return uniform_(t, -std::sqrt(3.0) * xavier_std("xavier_uniform_", t.shape(), gain),
                        std::sqrt(3.0) * xavier_std("xavier_uniform_", t.shape(), gain));
    }

    Tensor xavier_normal_(Tensor t, double gain)
    {
        check_defined("xavier_normal_", t);
        if (t.numel() == 0)
        {
            return t;
        }
        return normal_(t, 0.0, xavier_std("xavier_normal_", t.shape(), gain));
    }

    Tensor orthogonal_(Tensor t, double gain)
    {
        check_defined("orthogonal_", t);
        if (t.dim() < 2)
        {
            throw std::invalid_argument(
                detail::str("orthogonal_: expected a tensor with at least 2 dimensions, got shape ", shape_str(t.shape())));
        }
        if (t.numel() == 0)
        {
            return t;
        }
        const std::int64_t rows = t.size(0), cols = t.numel() / rows;
        // QR needs a tall matrix: draw (rows, cols), and factor its transpose when it is wide.
        const std::vector<double> drawn = randn({rows, cols}, float64).to_vector();
        const bool wide = rows < cols;
        const std::int64_t m = wide ? cols : rows, n = wide ? rows : cols;
        std::vector<double> a(drawn.size());
        for (std::int64_t i = 0; i < rows; ++i)
        {
            for (std::int64_t j = 0; j < cols; ++j)
            {
                a[static_cast<std::size_t>(wide ? j * n + i : i * n + j)] = drawn[static_cast<std::size_t>(i * cols + j)];
            }
        }
        std::vector<double> q, sign;
        householder_qr(std::move(a), m, n, q, sign);
        std::vector<double> out(drawn.size());
        for (std::int64_t i = 0; i < m; ++i)
        {
            for (std::int64_t j = 0; j < n; ++j)
            {
                const double v = gain * q[static_cast<std::size_t>(i * n + j)] * sign[static_cast<std::size_t>(j)];
                out[static_cast<std::size_t>(wide ? j * cols + i : i * cols + j)] = v;
            }
        }
        return assign(t, from_vector(out, t.shape(), t.dtype()));
    }
}
