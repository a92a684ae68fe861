// BatchNormBase and BatchNorm2d (see batch_norm.hpp): parameters and buffers, the resets and
// the printed options (shared with SyncBatchNorm), the num_batches_tracked count and
// PyTorch's choice of statistics; the maths and the input checks beyond the rank live in
// autograd/batch_norm.cpp.
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/batch_norm.hpp>
#include <adjoint/layers/python_repr.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        const char* py_bool(bool b) { return b ? "True" : "False"; }
    }

    BatchNormBase::BatchNormBase(const BatchNorm2dOptions& options, const char* layer) : m_options(options)
    {
        const std::int64_t c = m_options.num_features();
        if (c < 1)
        {
            throw std::invalid_argument(detail::str(layer, ": num_features must be >= 1, got ", c));
        }
        m_weight = register_parameter("weight", m_options.affine() ? ones({c}) : Tensor());
        m_bias = register_parameter("bias", m_options.affine() ? zeros({c}) : Tensor());
        if (m_options.track_running_stats())
        {
            m_running_mean = register_buffer("running_mean", zeros({c}));
            m_running_var = register_buffer("running_var", ones({c}));
            m_num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, int64));
        }
    }

    void BatchNormBase::reset_running_stats()
    {
        if (m_options.track_running_stats())
        {
            no_grad_guard off;
            m_running_mean.zero_();
            m_running_var.fill_(1.0);
            m_num_batches_tracked.zero_();
        }
    }

    void BatchNormBase::reset_parameters()
    {
        reset_running_stats();
        if (m_options.affine())
        {
            no_grad_guard off;
            m_weight.fill_(1.0);
            m_bias.zero_();
        }
    }

    std::string BatchNormBase::extra_repr() const
    {
        const auto& o = m_options;
        return detail::str(o.num_features(), ", eps=", detail::python_float(o.eps()),
                           ", momentum=", o.momentum() ? detail::python_float(*o.momentum()) : std::string("None"),
                           ", affine=", py_bool(o.affine()), ", track_running_stats=", py_bool(o.track_running_stats()));
    }

    BatchNorm2d::BatchNorm2d(const BatchNorm2dOptions& options) : BatchNormBase(options, "BatchNorm2d") {}

    Tensor BatchNorm2d::forward(const Tensor& x)
    {
        return guarded([&] {
            if (x.dim() != 4)
            {
                throw std::invalid_argument(
                    detail::str("BatchNorm2d: expected 4D input (got ", x.dim(), "D input) of size ", shape_str(x.shape()),
                                "; add the batch axis with unsqueeze(x, 0) for a single image"));
            }
            const bool tracking = m_options.track_running_stats();
            const bool counting = is_training() && tracking;
            // The count including this batch, as momentum = nullopt needs it; stored only once
            // batch_norm has accepted the input, so a rejected batch is not counted.
            const Tensor count = counting ? scalar(m_num_batches_tracked.item() + 1.0, int64) : m_num_batches_tracked;
            // PyTorch's rule: batch statistics in training, and in eval too when none are tracked
            // (the running-stat tensors are then undefined, so nothing is updated); batch_norm
            // updates the running ones whenever it is given them in training.
            Tensor y = batch_norm(x, m_running_mean, m_running_var, m_weight, m_bias, is_training() || !tracking,
                                  m_options.momentum(), m_options.eps(), count);
            if (counting)
            {
                no_grad_guard off;
                m_num_batches_tracked.copy_(count);   // in place: the handle in state_dict() stays valid
            }
            return y;
        });
    }

    std::shared_ptr<Module> BatchNorm2d::clone() const
    {
        return clone_into(*this, std::make_shared<BatchNorm2d>(m_options));
    }
}
