// Pooling ops: validation through pool2d_geometry (core/conv_geometry), values from
// core/pool_kernels, and backward passes that are each other's forwards: avg_pool2d and its
// adjoint, adaptive_avg_pool2d and its adjoint, gather_planes and scatter_add_planes (max
// pooling's gradient is the scatter with the forward's argmax). All of them are linear in
// the tensor they differentiate, so double backward is the forward again. No index
// arithmetic here.
#include <adjoint/autograd/node.hpp>
#include <adjoint/autograd/pooling.hpp>
#include <adjoint/core/pool_kernels.hpp>

#include <stdexcept>

namespace adjoint
{
    namespace
    {
        void check_defined(const char* op, const Tensor& x)
        {
            if (!x.defined())
            {
                throw std::invalid_argument(detail::str(op, ": expected a defined input tensor, got an undefined one"));
            }
        }

        Tensor avg_pool2d_backward_geom(const Tensor& gy, const conv_geometry& g, const kernels::avg_pool_divisor& d,
                                        const shape_t& x_shape);

        Tensor avg_pool2d_geom(const Tensor& x, const conv_geometry& g, const kernels::avg_pool_divisor& d)
        {
            return detail::record(kernels::avg_pool2d(x.data(), g, d), "avg_pool2d", {x},
                                  [g, d, xs = x.shape()](const Tensor& gy, const std::vector<bool>&) -> tensor_list {
                                      return {avg_pool2d_backward_geom(gy, g, d, xs)};
                                  },
                                  detail::saves::nothing());
        }

        Tensor avg_pool2d_backward_geom(const Tensor& gy, const conv_geometry& g, const kernels::avg_pool_divisor& d,
                                        const shape_t& x_shape)
        {
            return detail::record(kernels::avg_pool2d_backward(gy.data(), g, d, x_shape), "avg_pool2d_backward", {gy},
                                  [g, d](const Tensor& ggx, const std::vector<bool>&) -> tensor_list {
                                      return {avg_pool2d_geom(ggx, g, d)};
                                  },
                                  detail::saves::nothing());
        }

        Tensor adaptive_backward(const Tensor& gy, const shape_t& x_shape);

        Tensor adaptive_forward(const Tensor& x, std::int64_t h_out, std::int64_t w_out)
        {
            return detail::record(kernels::adaptive_avg_pool2d(x.data(), h_out, w_out), "adaptive_avg_pool2d", {x},
                                  [xs = x.shape()](const Tensor& gy, const std::vector<bool>&) -> tensor_list {
                                      return {adaptive_backward(gy, xs)};
                                  },
                                  detail::saves::nothing());
        }

        Tensor adaptive_backward(const Tensor& gy, const shape_t& x_shape)
        {
            const std::int64_t h_out = gy.size(-2), w_out = gy.size(-1);
            return detail::record(kernels::adaptive_avg_pool2d_backward(gy.data(), x_shape),
                                  "adaptive_avg_pool2d_backward", {gy},
                                  [h_out, w_out](const Tensor& ggx, const std::vector<bool>&) -> tensor_list {
                                      return {adaptive_forward(ggx, h_out, w_out)};
                                  },
                                  detail::saves::nothing());
        }
    }

    namespace detail
    {
        Tensor gather_planes(const Tensor& x, const array& index, std::int64_t h_out, std::int64_t w_out,
                             const char* name)
        {
            return record(kernels::gather_planes(x.data(), index, h_out, w_out), name, {x},
                          [index, xs = x.shape()](const Tensor& gy, const std::vector<bool>&) -> tensor_list {
                              return {scatter_add_planes(gy, index, xs)};
                          },
                          saves::nothing());
        }

        Tensor scatter_add_planes(const Tensor& g, const array& index, const shape_t& x_shape)
        {
            const std::int64_t h_out = g.size(-2), w_out = g.size(-1);
            return record(kernels::scatter_add_planes(g.data(), index, x_shape), "scatter_add_planes", {g},
                          [index, h_out, w_out](const Tensor& ggx, const std::vector<bool>&) -> tensor_list {
                              return {gather_planes(ggx, index, h_out, w_out)};
                          },
                          saves::nothing());
        }
    }

    values_and_indices max_pool2d_with_indices(const Tensor& x, const max_pool2d_options& o)
    {
        check_defined("max_pool2d", x);
        pool2d_params p;
        p.kernel_size = o.kernel_size();
        p.stride = o.stride();
        p.padding = o.padding();
        p.dilation = o.dilation();
        p.ceil_mode = o.ceil_mode();
        const conv_geometry g = pool2d_geometry(x.shape(), p, "max_pool2d");
        kernels::max_pool_result r = kernels::max_pool2d(x.data(), g);
        // The indices are a function of x's values, but piecewise constant: the gradient is the
        // scatter of gy to them, linear in gy, whose own gradient is the gather (see detail).
        const array index = r.indices;
        Tensor values = detail::record(std::move(r.values), "max_pool2d", {x},
                                       [index, xs = x.shape()](const Tensor& gy, const std::vector<bool>&) -> tensor_list {
                                           return {detail::scatter_add_planes(gy, index, xs)};
                                       },
                                       detail::saves::nothing());
        return {values, Tensor(r.indices.clone())};   // a private copy: editing it cannot change the gradient
    }

    Tensor max_pool2d(const Tensor& x, const max_pool2d_options& options)
    {
        return max_pool2d_with_indices(x, options).values;
    }

    Tensor avg_pool2d(const Tensor& x, const avg_pool2d_options& o)
    {
        check_defined("avg_pool2d", x);
        if (o.divisor_override() && *o.divisor_override() == 0)
        {
            throw std::invalid_argument("avg_pool2d: divisor_override must be non-zero, got divisor_override=0");
        }
        pool2d_params p;
        p.kernel_size = o.kernel_size();
        p.stride = o.stride();
        p.padding = o.padding();
        p.ceil_mode = o.ceil_mode();
        const conv_geometry g = pool2d_geometry(x.shape(), p, "avg_pool2d");
        kernels::avg_pool_divisor d;
        d.count_include_pad = o.count_include_pad();
        d.divisor_override = o.divisor_override().value_or(0);
        return avg_pool2d_geom(x, g, d);
    }

    Tensor adaptive_avg_pool2d(const Tensor& x, const pair_t& output_size)
    {
        const char* op = "adaptive_avg_pool2d";
        check_defined(op, x);
        const shape_t& s = x.shape();
        if (s.size() != 3 && s.size() != 4)
        {
            throw std::invalid_argument(detail::str(op, ": expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape ",
                                                    shape_str(s), " (rank ", s.size(), ")"));
        }
        for (std::size_t i = s.size() == 4 ? 1 : 0; i < s.size(); ++i)
        {
            if (s[i] == 0)
            {
                throw std::invalid_argument(detail::str(
                    op, ": expected C, H and W of at least 1 (only the batch N may be 0), got shape ", shape_str(s)));
            }
        }
        if (output_size[0] < 0 || output_size[1] < 0)
        {
            throw std::invalid_argument(detail::str(op, ": output_size must be >= 0 in each dimension, got output_size=(",
                                                    output_size[0], ", ", output_size[1], ")"));
        }
        return adaptive_forward(x, output_size[0], output_size[1]);
    }

    Tensor adaptive_avg_pool2d(const Tensor& x, std::int64_t output_size)
    {
        return adaptive_avg_pool2d(x, pair_t{output_size, output_size});
    }
}
