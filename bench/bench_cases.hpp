// conv_bench's case list: the layer rows (C1-C3, T1-T2, B1-B2), the U1 block and the
// whole-model cases (models.hpp), with each case's forward multiply-adds, the oneDNN
// algorithm each of its layers runs, and the JSON of `conv_bench --list` that bench/run.py
// reads to build the same cases in PyTorch. Plain data and arithmetic: nothing here builds
// tensors or times anything.
#pragma once
#include "model_specs.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/core/conv_dnnl.hpp>   // algorithm_of: which oneDNN kernels a layer case runs

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace bench
{
    using namespace adjoint;

    // One convolution layer. Weight shapes follow PyTorch: conv [out, in/groups, k, k],
    // transposed [in, out/groups, k, k]; every layer has a bias, as nn.Conv2d does by default.
    struct layer_spec
    {
        bool transpose;
        std::int64_t in, out, kernel, stride, padding, output_padding, groups;
    };

    inline layer_spec conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                    std::int64_t groups = 1)
    {
        return {false, in, out, k, s, p, 0, groups};
    }

    inline layer_spec conv_t(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                      std::int64_t op)
    {
        return {true, in, out, k, s, p, op, 1};
    }

    // A case is either a chain of layers with relu between them (a single layer has none),
    // run on a random input [n, c, h, w] with a fixed random output gradient, or a model of
    // models.hpp (`model` set) at batch n and h x w images. input_grad says whether the
    // chain's input needs a gradient: true for a layer inside a network, false where the
    // input is data (a stem).
    struct case_spec
    {
        std::string name, what;
        std::int64_t n, c, h, w;
        bool input_grad;
        std::vector<layer_spec> layers;
        std::string model;
    };

    inline case_spec model_case(const std::string& model, std::int64_t n, std::int64_t size)
    {
        const std::string name = model + "_b" + std::to_string(n) + "_s" + std::to_string(size);
        const std::string what = (model == "tinyseg" ? std::string("TinySeg") : std::string("small enc-dec")) +
                                 " batch " + std::to_string(n) + ", " + std::to_string(size) + "x" +
                                 std::to_string(size) + ": fwd = inference forward, f+b = training step with Adam";
        return {name, what, n, bench_specs::model_layers(model).front().in, size, size, false, {}, model};
    }

    inline std::vector<case_spec> cases()
    {
        std::vector<case_spec> out = {
            {"C1", "conv 3->16 3x3 s1 p1, 16x3x64x64", 16, 3, 64, 64, false, {conv(3, 16, 3, 1, 1)}, ""},
            {"C2", "conv 16->32 3x3 s2 p1, 16x16x64x64", 16, 16, 64, 64, true, {conv(16, 32, 3, 2, 1)}, ""},
            {"C3", "conv 32->64 3x3 s2 p1, 16x32x32x32", 16, 32, 32, 32, true, {conv(32, 64, 3, 2, 1)}, ""},
            {"T1", "conv_transpose 64->32 4x4 s2 p1, 16x64x16x16", 16, 64, 16, 16, true, {conv_t(64, 32, 4, 2, 1, 0)}, ""},
            {"T2", "conv_transpose 32->16 4x4 s2 p1, 16x32x32x32", 16, 32, 32, 32, true, {conv_t(32, 16, 4, 2, 1, 0)}, ""},
            {"B1", "conv 64->64 3x3 s1 p1, 8x64x128x128", 8, 64, 128, 128, true, {conv(64, 64, 3, 1, 1)}, ""},
            {"B2", "conv_transpose 64->64 4x4 s2 p1, 8x64x64x64", 8, 64, 64, 64, true, {conv_t(64, 64, 4, 2, 1, 0)}, ""},
            // Not one of the rows: a U-Net's 3x3 stride-1 block at 32 channels, the
            // kind of layer that runs oneDNN's Winograd kernels (core/conv_dnnl.cpp).
            {"U1", "conv 32->32 3x3 s1 p1, 16x32x64x64 (a U-Net block)", 16, 32, 64, 64, true, {conv(32, 32, 3, 1, 1)}, ""},
        };
        out.push_back(model_case("tinyseg", 16, 64));
        for (std::int64_t n : {1, 4, 64})
        {
            out.push_back(model_case("tinyseg", n, 64));
        }
        for (std::int64_t s : {32, 128})
        {
            out.push_back(model_case("tinyseg", 16, s));
        }
        out.push_back(model_case("small", 16, 32));
        return out;
    }

    // Multiply-adds of one forward of the case (FLOPs = 2 x MACs).
    inline double case_macs(const case_spec& c)
    {
        if (!c.model.empty())
        {
            return bench_specs::model_macs(c.model, c.n, c.h);
        }
        double macs = 0;
        std::int64_t h = c.h, w = c.w;
        for (const layer_spec& l : c.layers)
        {
            const auto out_size = [&](std::int64_t s) {
                return l.transpose ? (s - 1) * l.stride - 2 * l.padding + l.kernel + l.output_padding
                                   : (s + 2 * l.padding - l.kernel) / l.stride + 1;
            };
            const std::int64_t ho = out_size(h), wo = out_size(w);
            const double positions = l.transpose ? static_cast<double>(h * w) : static_cast<double>(ho * wo);
            macs += static_cast<double>(c.n) * positions * l.in * (l.out / l.groups) * l.kernel * l.kernel;
            h = ho;
            w = wo;
        }
        return macs;
    }

    // Per layer of a case (a model's too), which of oneDNN's algorithms runs it ("winograd", "direct",
    // or "none" where im2col + GEMM does), so a table can say what it measured.
    inline std::vector<std::string> layer_algorithms(const case_spec& c)
    {
        std::vector<layer_spec> layers = c.layers;
        if (!c.model.empty())
        {
            for (const bench_specs::model_layer& m : bench_specs::model_layers(c.model))
            {
                layers.push_back({m.transpose, m.in, m.out, m.kernel, m.stride, m.padding, 0, 1});
            }
        }
        std::vector<std::string> out;
        shape_t x{c.n, c.c, c.h, c.w};
        for (const layer_spec& l : layers)
        {
            const pair_t s{l.stride, l.stride}, p{l.padding, l.padding};
            const conv_geometry g =
                l.transpose
                    ? conv_transpose2d_geometry(x, {l.in, l.out / l.groups, l.kernel, l.kernel}, std::nullopt,
                                                {s, p, {l.output_padding, l.output_padding}, {1, 1}, l.groups, std::nullopt})
                    : conv2d_geometry(x, {l.out, l.in / l.groups, l.kernel, l.kernel}, std::nullopt,
                                      {s, p, {1, 1}, l.groups, false});
            out.push_back(adjoint::kernels::conv_detail::algorithm_of(g));
            x = l.transpose ? shape_t{g.n, g.c_in, g.h, g.w} : g.output_shape();
        }
        return out;
    }

    inline std::string case_json(const case_spec& c)
    {
        const std::vector<std::string> algorithms = layer_algorithms(c);
        std::ostringstream out;
        out << "{\"name\":\"" << c.name << "\",\"what\":\"" << c.what << "\",\"model\":\"" << c.model
            << "\",\"fwd_flop\":" << 2 * case_macs(c) << ",\"input\":[" << c.n << ',' << c.c << ','
            << c.h << ',' << c.w << "],\"input_grad\":" << (c.input_grad ? "true" : "false") << ",\"layers\":[";
        for (std::size_t i = 0; i < c.layers.size(); ++i)
        {
            const layer_spec& l = c.layers[i];
            out << (i ? "," : "") << "{\"op\":\"" << (l.transpose ? "conv_transpose2d" : "conv2d") << "\",\"in\":" << l.in
                << ",\"out\":" << l.out << ",\"kernel\":" << l.kernel << ",\"stride\":" << l.stride
                << ",\"padding\":" << l.padding << ",\"output_padding\":" << l.output_padding
                << ",\"groups\":" << l.groups << ",\"onednn\":\"" << algorithms[i] << "\"}";
        }
        out << "]";
        if (!c.model.empty())
        {
            out << ",\"onednn\":[";
            for (std::size_t i = 0; i < algorithms.size(); ++i)
            {
                out << (i ? "," : "") << '"' << algorithms[i] << '"';
            }
            out << "]";
        }
        out << "}";
        return out.str();
    }
}
