// The layer tables of conv_bench's whole-model cases (TinySeg and the small encoder-decoder)
// and their forward multiply-adds: plain data, shared by the adjoint side (models.hpp) and
// the libtorch side (libtorch_bench.cpp), so both build the same networks. bench/run.py has
// the same table for PyTorch. Not here: building or timing anything.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bench_specs
{
    // One layer of a model: conv or transposed conv, each followed by relu except the last.
    struct model_layer
    {
        bool transpose;
        std::int64_t in, out, kernel, stride, padding;
    };

    inline std::vector<model_layer> model_layers(const std::string& model)
    {
        if (model == "tinyseg")
        {
            return {{false, 3, 16, 3, 1, 1}, {false, 16, 32, 3, 2, 1}, {false, 32, 64, 3, 2, 1},
                    {true, 64, 32, 4, 2, 1}, {true, 32, 16, 4, 2, 1},  {false, 16, 1, 1, 1, 0}};
        }
        // "small": 1->8 k3 s2 p1, 8->16 k3 s2 p1, convT 16->8 k4 s2 p1, convT 8->1 k4 s2 p1
        return {{false, 1, 8, 3, 2, 1}, {false, 8, 16, 3, 2, 1}, {true, 16, 8, 4, 2, 1}, {true, 8, 1, 4, 2, 1}};
    }

    // Multiply-adds of one forward at input [n, c, h, w] (square images, the layers above).
    inline double model_macs(const std::string& model, std::int64_t n, std::int64_t h)
    {
        double macs = 0;
        std::int64_t s = h;
        for (const model_layer& l : model_layers(model))
        {
            const std::int64_t out = l.transpose ? (s - 1) * l.stride - 2 * l.padding + l.kernel
                                                 : (s + 2 * l.padding - l.kernel) / l.stride + 1;
            // A transposed conv costs its input positions x k^2 x in x out, a conv its output positions.
            const std::int64_t positions = l.transpose ? s * s : out * out;
            macs += static_cast<double>(n) * positions * l.in * l.out * l.kernel * l.kernel;
            s = out;
        }
        return macs;
    }
}
