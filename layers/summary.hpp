// summary(model, input_shape): runs the model once on zeros of that shape (no gradients, eval
// mode, restored afterwards) and prints one row per layer that ran — dotted name, type, output
// shape, parameter count — and the totals, like torchinfo. Only layers that call their
// functional op through Module::guarded (every layer in layers/) appear as rows; containers
// and a user's own modules show through their layers. A shape error names the layer.
#pragma once
#include <adjoint/autograd/creation.hpp>
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/module.hpp>

#include <string>
#include <vector>

namespace adjoint
{
    namespace detail
    {
        struct summary_row
        {
            std::string name;
            std::string type;
            shape_t output_shape;
            std::int64_t parameters;
        };

        // While alive, every guarded layer that finishes on this thread appends its row.
        class summary_recorder
        {
        public:
            explicit summary_recorder(std::vector<summary_row>& rows);
            ~summary_recorder();
            summary_recorder(const summary_recorder&) = delete;
            summary_recorder& operator=(const summary_recorder&) = delete;

        private:
            std::vector<summary_row>* m_previous;
        };

        std::string format_summary(const Module& model, const shape_t& input_shape, const shape_t& output_shape,
                                   const std::vector<summary_row>& rows);
    }

    template <class M>
    std::string summary(M& model, const shape_t& input_shape, adjoint::dtype dt = float32)
    {
        const bool was_training = model.is_training();
        model.eval();
        std::vector<detail::summary_row> rows;
        shape_t output_shape;
        try
        {
            no_grad_guard off;
            detail::summary_recorder recorder(rows);
            output_shape = model.forward(zeros(input_shape, dt)).shape();
        }
        catch (...)
        {
            model.train(was_training);
            throw;
        }
        model.train(was_training);
        return detail::format_summary(model, input_shape, output_shape, rows);
    }
}
