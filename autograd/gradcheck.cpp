// Finite-difference gradient checks. The analytical Jacobian is built one output element
// at a time (a backward pass with a one-hot gradient); the numerical one one input element
// at a time (two forward passes). Cost is O(outputs + inputs) passes: meant for small tensors.
#include <adjoint/autograd/gradcheck.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/autograd/ops.hpp>

#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        // "[1, 2]": element indices as gradcheck reports them.
        std::string index_str(std::int64_t flat, const shape_t& shape)
        {
            const shape_t idx = unravel_index(flat, shape);
            std::string s = "[";
            for (std::size_t i = 0; i < idx.size(); ++i)
            {
                s += (i ? ", " : "") + std::to_string(idx[i]);
            }
            return s + "]";
        }

        // Column-major by input element: jac[in_elem * n_out + out_elem].
        using jacobian = std::vector<double>;

        // Writes an element back when it goes out of scope, however the scope is left.
        class element_restore
        {
        public:
            element_restore(Tensor t, std::int64_t e) : m_t(std::move(t)), m_e(e), m_value(m_t.data().data<double>()[e]) {}
            ~element_restore() { m_t.mutable_data().data<double>()[m_e] = m_value; }
            element_restore(const element_restore&) = delete;
            element_restore& operator=(const element_restore&) = delete;
            double value() const { return m_value; }
            void set(double v) { m_t.mutable_data().data<double>()[m_e] = v; }

        private:
            Tensor m_t;
            std::int64_t m_e;
            double m_value;
        };

        jacobian numerical_jacobian(const std::function<Tensor()>& evaluate, const Tensor& variable,
                                    std::int64_t n_out, double eps)
        {
            // Grad mode stays on and the variable keeps requires_grad: evaluate may itself take
            // gradients (gradgradcheck's first-gradient function does).
            const std::int64_t n_in = variable.numel();
            jacobian jac(static_cast<std::size_t>(n_in * n_out));
            for (std::int64_t e = 0; e < n_in; ++e)
            {
                element_restore element(variable, e);
                auto eval = [&](double delta) {
                    // original + delta each time, never += delta: no drift, and the restore is exact
                    element.set(element.value() + delta);
                    return evaluate().data().to(float64).to_vector();
                };
                const auto plus = eval(eps);
                const auto minus = eval(-eps);
                for (std::int64_t o = 0; o < n_out; ++o)
                {
                    jac[static_cast<std::size_t>(e * n_out + o)] = (plus[o] - minus[o]) / (2 * eps);
                }
            }
            return jac;
        }

        std::vector<jacobian> analytical_jacobians(const Tensor& out, const tensor_list& wrt)
        {
            const std::int64_t n_out = out.numel();
            std::vector<jacobian> jacs;
            for (const auto& w : wrt)
            {
                jacs.emplace_back(static_cast<std::size_t>(w.numel() * n_out));
            }
            for (std::int64_t o = 0; o < n_out; ++o)
            {
                array onehot = array::full(out.shape(), 0.0, out.dtype());
                onehot.data<double>()[o] = 1.0;
                const tensor_list grads = grad({out}, wrt, {Tensor(onehot)}, /*retain_graph=*/true,
                                               /*create_graph=*/false, /*allow_unused=*/true);
                for (std::size_t k = 0; k < wrt.size(); ++k)
                {
                    if (!grads[k].defined())
                    {
                        continue;   // unused input: its Jacobian column stays zero
                    }
                    const auto g = grads[k].data().to_vector();
                    for (std::size_t e = 0; e < g.size(); ++e)
                    {
                        jacs[k][e * static_cast<std::size_t>(n_out) + static_cast<std::size_t>(o)] = g[e];
                    }
                }
            }
            return jacs;
        }

        void check_inputs(const char* op, const tensor_list& inputs)
        {
            bool any = false;
            for (std::size_t i = 0; i < inputs.size(); ++i)
            {
                if (inputs[i].defined() && inputs[i].requires_grad())
                {
                    any = true;
                    if (inputs[i].dtype() != float64)
                    {
                        throw std::invalid_argument(detail::str(
                            op, ": inputs that require grad must be float64 (float32 finite differences are too "
                                "coarse to prove anything), got ", dtype_name(inputs[i].dtype()), " for input ", i,
                            "; use .to(float64)"));
                    }
                }
            }
            if (!any)
            {
                throw std::invalid_argument(
                    detail::str(op, ": expected at least one input with requires_grad, got none"));
            }
        }
    }

    gradcheck_result detail::check_jacobians(const char* op, const std::function<Tensor()>& evaluate,
                                             const std::vector<gradcheck_variable>& variables,
                                             const gradcheck_options& options)
    {
        const Tensor out = evaluate();
        if (!out.defined() || out.dtype() != float64)
        {
            throw std::invalid_argument(detail::str(op, ": the function must return float64, got ",
                                                    out.defined() ? dtype_name(out.dtype()) : "an undefined tensor"));
        }
        if (!out.requires_grad())
        {
            return {false, detail::str(op, ": the output does not require grad: the function is not differentiable "
                                           "with respect to any input (or ran under no_grad_guard)")};
        }
        tensor_list wrt;
        for (const auto& v : variables)
        {
            wrt.push_back(v.tensor);
        }
        const auto analytical = analytical_jacobians(out, wrt);
        const std::int64_t n_out = out.numel();
        for (std::size_t k = 0; k < variables.size(); ++k)
        {
            const gradcheck_variable& var = variables[k];
            const auto numerical = numerical_jacobian(evaluate, var.tensor, n_out, options.eps);
            const auto& a = analytical[k];
            double worst_excess = 0.0;
            std::size_t worst = 0;
            bool analytical_zero = true, numerical_zero = true;
            for (std::size_t j = 0; j < a.size(); ++j)
            {
                analytical_zero = analytical_zero && a[j] == 0.0;
                numerical_zero = numerical_zero && std::abs(numerical[j]) <= options.atol;
                const double excess =
                    std::abs(a[j] - numerical[j]) - (options.atol + options.rtol * std::abs(numerical[j]));
                if (!(excess <= worst_excess))   // also catches NaN
                {
                    worst_excess = std::isnan(excess) ? INFINITY : excess;
                    worst = j;
                }
            }
            const auto describe = [&](std::size_t j) {
                const std::int64_t in_elem = static_cast<std::int64_t>(j) / n_out;
                const std::int64_t out_elem = static_cast<std::int64_t>(j) % n_out;
                std::ostringstream s;
                s.precision(10);
                s << "d output" << index_str(out_elem, out.shape()) << " / d " << var.symbol
                  << index_str(in_elem, var.tensor.shape()) << ": analytical " << a[j] << ", numerical "
                  << numerical[j];
                return s.str();
            };
            if (analytical_zero && !numerical_zero)
            {
                return {false, detail::str(op, ": ", var.label, " of shape ", shape_str(var.tensor.shape()),
                                           ": the analytical gradient is all zero but the numerical one is not (",
                                           describe(worst), ")")};
            }
            if (worst_excess > 0.0)
            {
                return {false, detail::str(op, ": ", var.label, " of shape ", shape_str(var.tensor.shape()),
                                           ": Jacobian mismatch beyond atol=", options.atol, ", rtol=", options.rtol,
                                           "; worst element ", describe(worst))};
            }
        }
        return {};
    }

    gradcheck_result gradcheck(const tensor_fn& fn, const tensor_list& inputs, const gradcheck_options& options)
    {
        check_inputs("gradcheck", inputs);
        // The checked inputs are replaced by copies, which the check perturbs in place: the
        // caller's tensors (and any graph that saved them) are left alone.
        tensor_list work = inputs;
        std::vector<detail::gradcheck_variable> variables;
        for (std::size_t i = 0; i < inputs.size(); ++i)
        {
            if (inputs[i].defined() && inputs[i].requires_grad())
            {
                work[i] = Tensor(inputs[i].data().clone(), true);
                variables.push_back({work[i], detail::str("input ", i), detail::str("input", i)});
            }
        }
        return detail::check_jacobians("gradcheck", [&] { return fn(work); }, variables, options);
    }

    gradcheck_result gradgradcheck(const tensor_fn& fn, const tensor_list& inputs, const gradcheck_options& options)
    {
        check_inputs("gradgradcheck", inputs);
        const Tensor out = fn(inputs);
        // A fixed random output gradient v, itself checked as an input of the first gradient.
        std::mt19937_64 gen(options.seed);
        std::normal_distribution<double> normal;
        std::vector<double> v(static_cast<std::size_t>(out.numel()));
        for (auto& e : v)
        {
            e = normal(gen);
        }
        Tensor grad_out = Tensor(array::from_values(v, out.shape(), float64), true);

        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < inputs.size(); ++i)
        {
            if (inputs[i].defined() && inputs[i].requires_grad())
            {
                which.push_back(i);
            }
        }
        tensor_list all = inputs;
        all.push_back(grad_out);
        // The first gradient, flattened and concatenated so one output tensor carries it all.
        tensor_fn first_grad = [fn, which](const tensor_list& args) {
            tensor_list ins(args.begin(), args.end() - 1);
            tensor_list wrt;
            for (auto w : which)
            {
                wrt.push_back(ins[w]);
            }
            const Tensor y = fn(ins);
            const tensor_list g = grad({y}, wrt, {args.back()}, /*retain_graph=*/true, /*create_graph=*/true,
                                       /*allow_unused=*/true);
            tensor_list flat;
            for (std::size_t k = 0; k < g.size(); ++k)
            {
                flat.push_back(g[k].defined() ? reshape(g[k], {-1}) : reshape(zeros_like(wrt[k]), {-1}));
            }
            return cat(flat, 0);
        };
        gradcheck_result r = gradcheck(first_grad, all, options);
        if (!r.ok)
        {
            r.message = "gradgradcheck (checking the first gradient, inputs then grad_output): " + r.message;
        }
        return r;
    }
}
