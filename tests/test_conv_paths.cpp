// The conv kernels' two implementations against each other (core/conv_kernels.hpp,
// conv_path): the fast path (oneDNN's convolution primitives for float32 without groups,
// else samples over threads with oneDNN sgemm; the weight gradient in a fixed split of the
// batch) and the reference path (one im2col + GEMM after the other), on random geometries,
// on TinySeg's layers and on layers that take oneDNN's Winograd kernels, for conv2d and
// conv_transpose2d, forward and every gradient.
// Float32 agrees to 1e-4 relative, float64 to 1e-10; and the fast path gives bit-identical
// results on 1 and 2 threads.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>
#include <adjoint/core/conv_dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <omp.h>
#include <random>

using namespace adjoint;

namespace
{
    struct config
    {
        std::int64_t n, c_in, c_out, h, w, k, stride, padding, dilation, groups;
        bool transpose;
    };

    config random_config(std::mt19937& rng)
    {
        auto pick = [&](std::int64_t lo, std::int64_t hi) {
            return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
        };
        config c{};
        c.groups = pick(1, 2);
        c.c_in = c.groups * pick(1, 4);
        c.c_out = c.groups * pick(1, 4);
        c.n = pick(1, 5);
        c.k = pick(1, 4);
        c.stride = pick(1, 2);
        c.dilation = pick(1, 2);
        c.padding = pick(0, 2);
        c.transpose = pick(0, 1) == 1;
        if (c.transpose)
        {
            c.padding = std::min(c.padding, c.dilation * (c.k - 1));   // conv_transpose2d needs padding <= dilation (k - 1)
        }
        const std::int64_t reach = c.dilation * (c.k - 1) + 1;
        c.h = std::max<std::int64_t>(reach, 1) + pick(0, 6);
        c.w = std::max<std::int64_t>(reach, 1) + pick(0, 6);
        return c;
    }

    // y and the gradients of x, weight and bias for a fixed random upstream gradient.
    std::vector<Tensor> run(const config& c, dtype dt, std::uint64_t seed)
    {
        manual_seed(seed);
        const shape_t wshape = c.transpose ? shape_t{c.c_in, c.c_out / c.groups, c.k, c.k}
                                           : shape_t{c.c_out, c.c_in / c.groups, c.k, c.k};
        Tensor x = randn({c.n, c.c_in, c.h, c.w}, dt).requires_grad_();
        Tensor w = randn(wshape, dt).requires_grad_();
        Tensor b = randn({c.c_out}, dt).requires_grad_();
        Tensor y = c.transpose
                       ? conv_transpose2d(x, w, b,
                                          conv_transpose2d_options().stride(c.stride).padding(c.padding).dilation(
                                              c.dilation).groups(c.groups))
                       : conv2d(x, w, b,
                                conv2d_options().stride(c.stride).padding(c.padding).dilation(c.dilation).groups(
                                    c.groups));
        Tensor gy = randn(y.shape(), dt);
        y.backward(gy);
        return {y.detach(), x.grad(), w.grad(), b.grad()};
    }

    std::string describe(const config& c)
    {
        return detail::str(c.transpose ? "conv_transpose2d" : "conv2d", " n=", c.n, " c_in=", c.c_in,
                           " c_out=", c.c_out, " ", c.h, "x", c.w, " k=", c.k, " s=", c.stride, " p=", c.padding,
                           " d=", c.dilation, " g=", c.groups);
    }

    struct path_guard
    {
        ~path_guard()
        {
            kernels::set_conv_path(kernels::conv_path::fast);
            set_num_threads(1);
        }
    };

    // The fast path on 1 thread agrees with the reference path, and on 2 threads with itself
    // bit for bit.
    void expect_fast_matches_reference(const config& c, std::uint64_t seed)
    {
        kernels::set_conv_path(kernels::conv_path::reference);
        set_num_threads(1);
        const std::vector<Tensor> ref = run(c, float32, seed);
        kernels::set_conv_path(kernels::conv_path::fast);
        const std::vector<Tensor> one = run(c, float32, seed);
        set_num_threads(2);
        const std::vector<Tensor> two = run(c, float32, seed);
        set_num_threads(1);
        for (std::size_t i = 0; i < one.size(); ++i)
        {
            // A weight gradient sums 16 x 4096 products in another order on each path: its
            // rounding is relative to the sum's magnitude, not to each (possibly tiny) element.
            double scale = 0.0;
            for (double v : ref[i].to_vector())
            {
                scale = std::max(scale, std::abs(v));
            }
            EXPECT_TENSOR_NEAR(one[i], ref[i], 1e-5 * scale, 1e-4);
            EXPECT_EQ(one[i].to_vector(), two[i].to_vector());
        }
    }
}

TEST(ConvPaths, FastMatchesReference)
{
    path_guard restore;
    std::mt19937 rng(7);
    for (int trial = 0; trial < 40; ++trial)
    {
        const config c = random_config(rng);
        SCOPED_TRACE(describe(c));
        for (dtype dt : {float32, float64})
        {
            const double tol = dt == float32 ? 1e-4 : 1e-10;
            set_num_threads(2);
            kernels::set_conv_path(kernels::conv_path::fast);
            const std::vector<Tensor> fast = run(c, dt, 100 + trial);
            kernels::set_conv_path(kernels::conv_path::reference);
            const std::vector<Tensor> ref = run(c, dt, 100 + trial);
            for (std::size_t i = 0; i < fast.size(); ++i)
            {
                EXPECT_TENSOR_NEAR(fast[i], ref[i], tol, tol);
            }
        }
    }
}

TEST(ConvPaths, FastIsBitIdenticalOnOneAndTwoThreads)
{
    path_guard restore;
    std::mt19937 rng(11);
    kernels::set_conv_path(kernels::conv_path::fast);
    for (int trial = 0; trial < 20; ++trial)
    {
        config c = random_config(rng);
        c.n += 3;   // enough samples for both threads
        SCOPED_TRACE(describe(c));
        set_num_threads(1);
        const std::vector<Tensor> one = run(c, float32, 200 + trial);
        set_num_threads(2);
        const std::vector<Tensor> two = run(c, float32, 200 + trial);
        for (std::size_t i = 0; i < one.size(); ++i)
        {
            EXPECT_EQ(one[i].to_vector(), two[i].to_vector());
        }
    }
}

// TinySeg's five layers at batch 16 (the shapes oneDNN's blocked kernels take, where its own
// work split would depend on the thread count): the fast path agrees with the reference and
// is bit-identical on 1 and 2 threads.
TEST(ConvPaths, TinySegLayersOnTheFastPath)
{
    path_guard restore;
    const config layers[] = {
        {16, 3, 16, 64, 64, 3, 1, 1, 1, 1, false},  {16, 16, 32, 64, 64, 3, 2, 1, 1, 1, false},
        {16, 32, 64, 32, 32, 3, 2, 1, 1, 1, false}, {16, 64, 32, 16, 16, 4, 2, 1, 1, 1, true},
        {16, 32, 16, 32, 32, 4, 2, 1, 1, 1, true},  {16, 16, 1, 64, 64, 1, 1, 0, 1, 1, false},
    };
    int seed = 300;
    for (const config& c : layers)
    {
        SCOPED_TRACE(describe(c));
        expect_fast_matches_reference(c, ++seed);
    }
}

namespace
{
    // The geometry a config runs on the kernels (a transposed convolution's is its adjoint's).
    conv_geometry geometry_of(const config& c)
    {
        const pair_t s{c.stride, c.stride}, p{c.padding, c.padding}, d{c.dilation, c.dilation};
        if (c.transpose)
        {
            return conv_transpose2d_geometry({c.n, c.c_in, c.h, c.w}, {c.c_in, c.c_out / c.groups, c.k, c.k},
                                             std::nullopt, {s, p, {0, 0}, d, c.groups, std::nullopt});
        }
        return conv2d_geometry({c.n, c.c_in, c.h, c.w}, {c.c_out, c.c_in / c.groups, c.k, c.k}, std::nullopt,
                               {s, p, d, c.groups, false});
    }
}

// 3x3 stride-1 layers with enough channels and pixels run oneDNN's Winograd kernels
// (core/conv_dnnl.cpp, winograd_pays), whose rounding differs from the direct kernels': they
// agree with the reference path as closely as TinySeg's layers do, and are bit-identical on
// 1 and 2 threads. Layers just outside the rule stay direct.
TEST(ConvPaths, WinogradLayersOnTheFastPath)
{
    path_guard restore;
    set_num_threads(1);
    if (!kernels::conv_detail::use_dnnl(geometry_of({4, 32, 32, 32, 32, 3, 1, 1, 1, 1, false}), float32))
    {
        GTEST_SKIP() << "built without oneDNN";
    }
    const config winograd[] = {
        {4, 32, 32, 32, 32, 3, 1, 1, 1, 1, false},    // 32 x 32 x 1024 pixels: the smallest that pays
        {3, 40, 64, 21, 21, 3, 1, 1, 1, 1, false},    // channels not a multiple of 16, odd sides
        {2, 32, 48, 34, 34, 3, 1, 0, 1, 1, false},    // no padding
        {2, 64, 32, 32, 32, 3, 1, 1, 1, 1, true},     // a transposed convolution: its forward is backward-data
    };
    const config direct[] = {
        {4, 16, 16, 64, 64, 3, 1, 1, 1, 1, false},    // 16 channels
        {4, 32, 32, 8, 8, 3, 1, 1, 1, 1, false},      // 8x8 pixels
        {4, 32, 64, 32, 32, 3, 2, 1, 1, 1, false},    // stride 2
        {4, 32, 32, 32, 32, 3, 1, 2, 2, 1, false},    // dilation 2
    };
    // oneDNN has its Winograd kernels for AVX-512 (avx512_core) only; elsewhere all run direct.
    const bool avx512_core = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    const std::string expected = avx512_core ? "winograd" : "direct";
    int seed = 600;
    for (const config& c : winograd)
    {
        SCOPED_TRACE(describe(c));
        EXPECT_EQ(kernels::conv_detail::algorithm_of(geometry_of(c)), expected);
        expect_fast_matches_reference(c, ++seed);
    }
    for (const config& c : direct)
    {
        SCOPED_TRACE(describe(c));
        EXPECT_EQ(kernels::conv_detail::algorithm_of(geometry_of(c)), "direct");
    }
}

// Convolutions called from inside a user's own OpenMP region (each thread its own graph):
// oneDNN must not wait there for threads it cannot have (a primitive built for 2 threads
// hung in that position), and each thread gets the answer of a call from outside.
TEST(ConvPaths, CalledFromAUsersParallelRegion)
{
    path_guard restore;
    set_num_threads(2);
    // Without groups oneDNN's primitives run; with 2 groups the im2col path with its
    // per-thread scratch (whose index must be the chunk's, not the user's thread number:
    // ASan caught that).
    for (std::int64_t groups : {1, 2})
    {
        manual_seed(400);
        const Tensor x = randn({8, 16, 32, 32}), w = randn({32, 16 / groups, 3, 3}), b = randn({32}),
                     gy = randn({8, 32, 16, 16});
        const auto grads = [&] {
            Tensor xi = (x * 1.0).detach().requires_grad_(), wi = (w * 1.0).detach().requires_grad_();   // fresh leaves
            Tensor y = conv2d(xi, wi, b, conv2d_options().stride(2).padding(1).groups(groups));
            y.backward(gy);
            return std::vector<std::vector<double>>{y.to_vector(), xi.grad().to_vector(), wi.grad().to_vector()};
        };
        const auto outside = grads();
        std::vector<std::vector<std::vector<double>>> inside(2);
#pragma omp parallel num_threads(2)
        inside[static_cast<std::size_t>(omp_get_thread_num())] = grads();
        EXPECT_EQ(inside[0], outside);
        EXPECT_EQ(inside[1], outside);
    }
}

// The input gradient's blocked copy of gy is handed to the weight gradient that follows it
// (core/conv_dnnl.hpp): a hit must give the weight gradient of gy as it is, and a write to gy
// in between (or another tensor) must make the weight gradient read gy anew.
TEST(ConvPaths, StagedGradientIsReusedOnlyWhileUnchanged)
{
    path_guard restore;
    set_num_threads(1);
    kernels::set_conv_path(kernels::conv_path::fast);
    manual_seed(500);
    const array x = randn({8, 16, 16, 16}).data(), w = randn({32, 16, 3, 3}).data();
    const conv_geometry g = conv2d_geometry(x.shape(), w.shape(), std::nullopt, {{2, 2}, {1, 1}, {1, 1}, 1, false});
    const auto reference_weight_grad = [&](const array& gy) {
        kernels::set_conv_path(kernels::conv_path::reference);
        const array gw = kernels::conv_weight_grad(x, gy, g);
        kernels::set_conv_path(kernels::conv_path::fast);
        return Tensor(gw);
    };
    const auto scale = [](const Tensor& t) { return max(abs(t)).item(); };

    array gy = randn({8, 32, 8, 8}).data();
    kernels::conv_input_grad(gy, w, g);   // stages gy
    const Tensor hit = Tensor(kernels::conv_weight_grad(x, gy, g));
    const Tensor expected = reference_weight_grad(gy);
    EXPECT_TENSOR_NEAR(hit, expected, 1e-5 * scale(expected), 1e-4);

    kernels::conv_input_grad(gy, w, g);   // stages gy again, then gy changes
    gy.fill_(0.5);
    const Tensor after_write = Tensor(kernels::conv_weight_grad(x, gy, g));
    const Tensor expected_after = reference_weight_grad(gy);
    EXPECT_TENSOR_NEAR(after_write, expected_after, 1e-5 * scale(expected_after), 1e-4);

    const array other = randn({8, 32, 8, 8}).data();
    kernels::conv_input_grad(gy, w, g);   // stages gy; the weight gradient asks for `other`
    const Tensor unrelated = Tensor(kernels::conv_weight_grad(x, other, g));
    const Tensor expected_other = reference_weight_grad(other);
    EXPECT_TENSOR_NEAR(unrelated, expected_other, 1e-5 * scale(expected_other), 1e-4);
}

// The blocked output a fused conv-relu forward keeps (core/conv_dnnl.hpp, reused_outputs):
// the next convolution that takes that output as its input reads the kept copy, with the
// same result as from a fresh array holding the same values; a write to the output in
// between, or another input, makes it reorder the plain array anew.
TEST(ConvPaths, FusedOutputIsReusedOnlyWhileUnchanged)
{
    path_guard restore;
    set_num_threads(1);
    kernels::set_conv_path(kernels::conv_path::fast);
    manual_seed(501);
    const array x = randn({4, 16, 12, 12}).data(), w1 = randn({32, 16, 3, 3}).data(), b1 = randn({32}).data();
    const array w2 = randn({32, 32, 3, 3}).data(), b2 = randn({32}).data();
    const conv_geometry g1 = conv2d_geometry(x.shape(), w1.shape(), std::nullopt, {{1, 1}, {1, 1}, {1, 1}, 1, false});
    const conv_geometry g2 =
        conv2d_geometry(g1.output_shape(), w2.shape(), std::nullopt, {{2, 2}, {1, 1}, {1, 1}, 1, false});
    if (!kernels::conv_detail::use_dnnl(g1, float32))
    {
        GTEST_SKIP() << "built without oneDNN: nothing is kept";
    }
    // The second layer on a copy of y (another storage: never the kept output).
    const auto from_copy = [&](const array& y) {
        return Tensor(kernels::conv_forward(y.clone(), w2, g2, b2, true));
    };

    array y = kernels::conv_forward(x, w1, g1, b1, true);
    const std::uint64_t before = kernels::conv_detail::reused_outputs();
    const Tensor hit = Tensor(kernels::conv_forward(y, w2, g2, b2, true));
    EXPECT_EQ(kernels::conv_detail::reused_outputs(), before + 1);
    EXPECT_TENSOR_NEAR(hit, from_copy(y), 0.0, 0.0);   // bit for bit: the kept copy is what y was made from

    // A transposed convolution's forward (the backward-data primitive) takes it as well.
    y = kernels::conv_forward(x, w1, g1, b1, true);
    const std::uint64_t before_t = kernels::conv_detail::reused_outputs();
    const Tensor hit_t = Tensor(kernels::conv_input_grad(y, w1, g1));
    EXPECT_EQ(kernels::conv_detail::reused_outputs(), before_t + 1);
    EXPECT_TENSOR_NEAR(hit_t, Tensor(kernels::conv_input_grad(y.clone(), w1, g1)), 0.0, 0.0);

    y = kernels::conv_forward(x, w1, g1, b1, true);
    y.data<float>()[7] = 5.0f;   // a write after the forward: the kept copy is stale
    const std::uint64_t before_write = kernels::conv_detail::reused_outputs();
    const Tensor after_write = Tensor(kernels::conv_forward(y, w2, g2, b2, true));
    EXPECT_EQ(kernels::conv_detail::reused_outputs(), before_write);
    EXPECT_TENSOR_NEAR(after_write, from_copy(y), 0.0, 0.0);

    y = kernels::conv_forward(x, w1, g1, b1, true);
    const array z = randn(g1.output_shape()).data();
    const std::uint64_t before_other = kernels::conv_detail::reused_outputs();
    const Tensor unrelated = Tensor(kernels::conv_forward(z, w2, g2, b2, true));
    EXPECT_TENSOR_NEAR(unrelated, from_copy(z), 0.0, 0.0);
    const Tensor emptied = Tensor(kernels::conv_forward(y, w2, g2, b2, true));   // z's miss emptied the slot
    EXPECT_EQ(kernels::conv_detail::reused_outputs(), before_other);
    EXPECT_TENSOR_NEAR(emptied, from_copy(y), 0.0, 0.0);
}
