// conv2d and conv_transpose2d against PyTorch 1.13 (tests/fixtures/generate_conv.py): forward
// and the gradients of input, weight and bias for every configuration in the manifest, in
// float64 (1e-10) and in float32 (inputs cast, compared with the float64 golden). Also the
// seed's two hand-worked examples and the public output-size helpers.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include "golden_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

using namespace adjoint;

namespace
{
    using golden_case = golden::manifest_case;

    std::vector<golden_case> load_manifest() { return golden::load_manifest("conv"); }

    pair_t parse_pair(const std::string& s)
    {
        const auto comma = s.find(',');
        return {std::stoll(s.substr(0, comma)), std::stoll(s.substr(comma + 1))};
    }

    Tensor fixture(const golden_case& c, const std::string& key)
    {
        return load_npy(std::string(ADJOINT_FIXTURES) + "/conv/" + c.name + "_" + key + ".npy");
    }

    // Runs the case's op on (x, w, b) with the manifest's options.
    Tensor run(const golden_case& c, const Tensor& x, const Tensor& w, const Tensor& b)
    {
        const auto& f = c.fields;
        const pair_t stride = parse_pair(f.at("stride")), dilation = parse_pair(f.at("dilation"));
        const std::int64_t groups = std::stoll(f.at("groups"));
        if (c.op == "conv2d")
        {
            conv2d_options o;
            o.stride(stride[0], stride[1]).dilation(dilation[0], dilation[1]).groups(groups);
            const std::string& pad = f.at("padding");
            if (pad == "same" || pad == "valid")
            {
                o.padding(pad);
            }
            else
            {
                const pair_t p = parse_pair(pad);
                o.padding(p[0], p[1]);
            }
            return conv2d(x, w, b, o);
        }
        conv_transpose2d_options o;
        const pair_t pad = parse_pair(f.at("padding")), out_pad = parse_pair(f.at("output_padding"));
        o.stride(stride[0], stride[1]).dilation(dilation[0], dilation[1]).groups(groups);
        o.padding(pad[0], pad[1]).output_padding(out_pad[0], out_pad[1]);
        std::optional<pair_t> size;
        if (f.at("output_size") != "none")
        {
            size = parse_pair(f.at("output_size"));
        }
        return conv_transpose2d(x, w, b, o, size);
    }

    double max_abs(const Tensor& t)
    {
        double m = 0.0;
        for (double v : t.to_vector())
        {
            m = std::max(m, std::abs(v));
        }
        return m;
    }

    // Worst errors for the log: absolute, elementwise relative (entries with |golden| > 0.1) and
    // relative to the tensor's largest golden magnitude.
    struct error_stats
    {
        double max_abs_err = 0.0, max_rel_err = 0.0, max_scaled_err = 0.0;
        void add(const Tensor& actual, const Tensor& expected)
        {
            const auto a = actual.to(float64).to_vector(), e = expected.to_vector();
            const double scale = std::max(max_abs(expected), 1e-300);
            for (std::size_t i = 0; i < a.size() && i < e.size(); ++i)
            {
                const double d = std::abs(a[i] - e[i]);
                max_abs_err = std::max(max_abs_err, d);
                max_scaled_err = std::max(max_scaled_err, d / scale);
                if (std::abs(e[i]) > 0.1)
                {
                    max_rel_err = std::max(max_rel_err, d / std::abs(e[i]));
                }
            }
        }
    };

    // float32 results are compared elementwise with rtol 1e-4 plus an atol of 1e-5 times the
    // largest golden magnitude of that tensor: an entry near zero that results from cancelling
    // terms of ordinary size carries their absolute rounding error, not a relative one.
    constexpr double k_f32_rtol = 1e-4, k_f32_atol_scale = 1e-5;

    void check_case(const golden_case& c, dtype dt, error_stats& stats)
    {
        SCOPED_TRACE("golden case " + c.name + " (" + c.op + ", " + dtype_name(dt) + ")");
        const bool has_bias = c.fields.at("bias") == "1";
        Tensor x = fixture(c, "x").to(dt).detach().requires_grad_();
        Tensor w = fixture(c, "w").to(dt).detach().requires_grad_();
        Tensor b = has_bias ? fixture(c, "b").to(dt).detach().requires_grad_() : Tensor();
        Tensor y = run(c, x, w, b);
        tensor_list inputs{x, w};
        if (has_bias)
        {
            inputs.push_back(b);
        }
        const tensor_list grads = grad({y}, inputs, {fixture(c, "gy").to(dt)});
        const char* keys[] = {"y", "gx", "gw", "gb"};
        const Tensor actual[] = {y, grads[0], grads[1], has_bias ? grads[2] : Tensor()};
        for (int i = 0; i < (has_bias ? 4 : 3); ++i)
        {
            const Tensor expected = fixture(c, keys[i]);
            SCOPED_TRACE(keys[i]);
            ASSERT_EQ(actual[i].dtype(), dt);
            if (dt == float64)
            {
                EXPECT_TENSOR_NEAR(actual[i], expected, 1e-10, 1e-10);
            }
            else
            {
                EXPECT_TENSOR_NEAR(actual[i].to(float64), expected, k_f32_atol_scale * max_abs(expected), k_f32_rtol);
            }
            stats.add(actual[i], expected);
        }
    }

    void check_op(const std::string& op, dtype dt)
    {
        error_stats stats;
        int count = 0;
        for (const auto& c : load_manifest())
        {
            if (c.op == op)
            {
                check_case(c, dt, stats);
                ++count;
            }
        }
        // An empty or truncated manifest must not pass quietly.
        EXPECT_GE(count, 50) << "golden cases for " << op;
        std::cout << "[ stats    ] " << op << " " << dtype_name(dt) << ": " << count << " cases, max abs error "
                  << stats.max_abs_err << ", max rel error (|golden| > 0.1) " << stats.max_rel_err
                  << ", max error / max|golden| " << stats.max_scaled_err << "\n";
    }
}

TEST(ConvGolden, Conv2dFloat64) { check_op("conv2d", float64); }
TEST(ConvGolden, Conv2dFloat32) { check_op("conv2d", float32); }
TEST(ConvGolden, ConvTranspose2dFloat64) { check_op("conv_transpose2d", float64); }
TEST(ConvGolden, ConvTranspose2dFloat32) { check_op("conv_transpose2d", float32); }

TEST(ConvGolden, ManifestCoversEveryOption)
{
    std::map<std::string, int> seen;
    for (const auto& c : load_manifest())
    {
        const auto& f = c.fields;
        const pair_t s = parse_pair(f.at("stride")), d = parse_pair(f.at("dilation"));
        const std::string y_shape = f.at("y_shape");
        const std::string key = c.op + ":";
        seen[key + "unbatched"] += f.at("unbatched") == "1";
        seen[key + "bias on"] += f.at("bias") == "1";
        seen[key + "bias off"] += f.at("bias") == "0";
        seen[key + "groups>1"] += f.at("groups") != "1";
        seen[key + "unequal stride"] += s[0] != s[1];
        seen[key + "unequal dilation"] += d[0] != d[1];
        seen[key + "output 1x1"] += y_shape.size() >= 4 && y_shape.substr(y_shape.size() - 4) == ",1,1";
        if (c.op == "conv2d")
        {
            seen[key + "same"] += f.at("padding") == "same";
            seen[key + "valid"] += f.at("padding") == "valid";
        }
        else
        {
            seen[key + "output_size"] += f.at("output_size") != "none";
            seen[key + "output_padding"] += f.at("output_size") == "none" && f.at("output_padding") != "0,0";
        }
    }
    for (const char* op : {"conv2d:", "conv_transpose2d:"})
    {
        for (const char* what : {"unbatched", "bias on", "bias off", "groups>1", "unequal stride", "unequal dilation",
                                 "output 1x1"})
        {
            EXPECT_GT(seen[std::string(op) + what], 0) << op << " " << what;
        }
    }
    EXPECT_GT(seen["conv2d:same"], 0);
    EXPECT_GT(seen["conv2d:valid"], 0);
    EXPECT_GT(seen["conv_transpose2d:output_size"], 0);
    EXPECT_GT(seen["conv_transpose2d:output_padding"], 0);
}

// The seed's first example: a 3x3 input and a 2x2 kernel, stride 1, no padding.
TEST(ConvSeed, ConvolutionAndItsGradient)
{
    Tensor x = tensor({{{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}}}, float64).requires_grad_();
    Tensor k = tensor({{{{1, 2}, {3, 4}}}}, float64).requires_grad_();
    Tensor y = conv2d(x, k);
    EXPECT_TENSOR_NEAR(y, tensor({{{{37, 47}, {67, 77}}}}, float64), 0.0, 0.0);
    y.backward(ones({1, 1, 2, 2}, float64));
    // Each input pixel collects the kernel entries that touched it: a full transposed convolution.
    EXPECT_TENSOR_NEAR(x.grad(), tensor({{{{1, 3, 2}, {4, 10, 6}, {3, 7, 4}}}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(k.grad(), tensor({{{{12, 16}, {24, 28}}}}, float64), 0.0, 0.0);
}

// The seed's second example: transposed convolution of [[0,1],[2,3]] with the same matrix.
TEST(ConvSeed, TransposedConvolution)
{
    Tensor x = tensor({{{{0, 1}, {2, 3}}}}, float64);
    Tensor k = tensor({{{{0, 1}, {2, 3}}}}, float64);
    EXPECT_TENSOR_NEAR(conv_transpose2d(x, k), tensor({{{{0, 0, 1}, {0, 4, 6}, {4, 12, 9}}}}, float64), 0.0, 0.0);
}

TEST(ConvSizes, PublicHelpersFollowPyTorch)
{
    EXPECT_EQ(conv2d_output_size(5, 3, 2, 1, 1), 3);
    EXPECT_EQ(conv2d_output_size(7, 3, 3, 0, 2), 1);    // floor((7 - 4 - 1) / 3) + 1
    EXPECT_EQ(conv2d_output_size(2, 4, 1, 0, 1), -1);   // floors towards minus infinity: too-large kernel
    EXPECT_EQ(conv_transpose2d_output_size(3, 3, 2, 1, 1), 5);
    EXPECT_EQ(conv_transpose2d_output_size(3, 3, 2, 1, 1, 1), 6);
    EXPECT_EQ(conv_transpose2d_output_size(3, 3, 1, 0, 3, 2), 11);
    EXPECT_THROW(conv2d_output_size(5, 3, 0, 0, 1), std::invalid_argument);
    EXPECT_THROW(conv_transpose2d_output_size(5, 3, 1, 0, 0), std::invalid_argument);
}

// Worked by hand: overlapping taps under stride (the checkerboard pattern) and the row that
// output_padding adds: with no padding to give back, no input reaches it, so it holds the bias.
TEST(ConvHandWorked, StridedTransposeOverlapAndOutputPadding)
{
    Tensor x = ones({1, 1, 2, 2}, float64);
    Tensor k = ones({1, 1, 3, 3}, float64);
    EXPECT_TENSOR_NEAR(conv_transpose2d(x, k, Tensor(), conv_transpose2d_options().stride(2)),
                       tensor({{{{1, 1, 2, 1, 1},
                                 {1, 1, 2, 1, 1},
                                 {2, 2, 4, 2, 2},
                                 {1, 1, 2, 1, 1},
                                 {1, 1, 2, 1, 1}}}}, float64),
                       0.0, 0.0);
    EXPECT_TENSOR_NEAR(conv_transpose2d(x, k, tensor({0.5}, float64),
                                        conv_transpose2d_options().stride(2).output_padding(1, 0)),
                       tensor({{{{1.5, 1.5, 2.5, 1.5, 1.5},
                                 {1.5, 1.5, 2.5, 1.5, 1.5},
                                 {2.5, 2.5, 4.5, 2.5, 2.5},
                                 {1.5, 1.5, 2.5, 1.5, 1.5},
                                 {1.5, 1.5, 2.5, 1.5, 1.5},
                                 {0.5, 0.5, 0.5, 0.5, 0.5}}}}, float64),
                       0.0, 0.0);
    // With padding 1 the added row is one that padding had cropped: it gets values back.
    EXPECT_TENSOR_NEAR(
        conv_transpose2d(x, k, Tensor(), conv_transpose2d_options().stride(2).padding(1).output_padding(1, 0)),
        tensor({{{{1, 2, 1}, {2, 4, 2}, {1, 2, 1}, {1, 2, 1}}}}, float64), 0.0, 0.0);
}

// Worked by hand on x = arange(16) as 4x4 (x[i, j] = 4i + j) with the kernel [[1, 2], [3, 4]].
TEST(ConvHandWorked, DilationStrideAndPadding)
{
    Tensor x = reshape(arange(16.0, float64), {1, 1, 4, 4});
    Tensor k = tensor({{{{1, 2}, {3, 4}}}}, float64);
    // Dilation 2 reads x[i, j], x[i, j+2], x[i+2, j], x[i+2, j+2]: 10*x[i, j] + 2*2 + 3*8 + 4*10.
    EXPECT_TENSOR_NEAR(conv2d(x, k, Tensor(), conv2d_options().dilation(2)),
                       tensor({{{{68, 78}, {108, 118}}}}, float64), 0.0, 0.0);
    // Stride 2, padding 1: output (oh, ow) reads rows 2oh-1, 2oh and columns 2ow-1, 2ow; the
    // border outputs see only the taps that land inside the image.
    EXPECT_TENSOR_NEAR(conv2d(x, k, Tensor(), conv2d_options().stride(2).padding(1)),
                       tensor({{{{4 * 0, 3 * 1 + 4 * 2, 3 * 3},
                                 {2 * 4 + 4 * 8, 1 * 5 + 2 * 6 + 3 * 9 + 4 * 10, 1 * 7 + 3 * 11},
                                 {2 * 12, 1 * 13 + 2 * 14, 1 * 15}}}}, float64),
                       0.0, 0.0);
}
