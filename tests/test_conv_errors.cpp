// Bad arguments to conv2d / conv_transpose2d: each raises std::invalid_argument naming the
// op, the shapes and values, the rule broken and, where one exists, the fix; size problems
// show the output-size formula with the numbers filled in. Messages are checked exactly.
#include "address_space_limit.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <functional>

using namespace adjoint;

namespace
{
    Tensor z(const shape_t& shape) { return zeros(shape, float64); }

} // namespace

TEST(ConvErrors, ChannelsNotDivisibleByGroups)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: input channels C_in=6 must be divisible by groups=4, got input shape (1, 6, 5, 5); "
                         "choose groups dividing both C_in=6 and C_out=4",
                         conv2d(z({1, 6, 5, 5}), z({4, 2, 3, 3}), Tensor(), conv2d_options().groups(4)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: output channels C_out=weight.shape[0]=6 must be divisible by groups=4, got weight "
                         "shape (6, 1, 3, 3); choose groups dividing both C_in=4 and C_out=6",
                         conv2d(z({1, 4, 5, 5}), z({6, 1, 3, 3}), Tensor(), conv2d_options().groups(4)));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: input channels C_in=3 must be divisible by groups=2, got input shape (1, 3, 4, 4); choose "
        "groups dividing C_in=3",
        conv_transpose2d(z({1, 3, 4, 4}), z({3, 1, 3, 3}), Tensor(), conv_transpose2d_options().groups(2)));
}

TEST(ConvErrors, WeightChannelsDoNotMatchInput)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv2d: weight of shape (4, 3, 3, 3) expects C_in = weight.shape[1]*groups = 3*1 = 3 input channels, got "
        "input shape (1, 2, 5, 5) with C_in=2; the weight must be (C_out, C_in/groups, kH, kW) = (4, 2, 3, 3)",
        conv2d(z({1, 2, 5, 5}), z({4, 3, 3, 3})));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: weight of shape (3, 2, 3, 3) expects C_in = weight.shape[0] = 3 input channels, got input "
        "shape (1, 4, 5, 5) with C_in=4; the weight must be (C_in, C_out/groups, kH, kW) = (4, C_out/groups, 3, 3)",
        conv_transpose2d(z({1, 4, 5, 5}), z({3, 2, 3, 3})));
}

TEST(ConvErrors, WrongRank)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv2d: expected an input of rank 4 (N, C_in, H, W) or 3 (C_in, H, W), got shape (5, 5) (rank 2)",
        conv2d(z({5, 5}), z({1, 1, 3, 3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: expected an input of rank 4 (N, C_in, H, W) or 3 (C_in, H, W), got shape "
                         "(1, 1, 1, 5, 5) (rank 5)",
                         conv_transpose2d(z({1, 1, 1, 5, 5}), z({1, 1, 3, 3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: expected a weight of rank 4 (C_out, C_in/groups, kH, kW), got shape (3, 3) (rank 2)",
                         conv2d(z({1, 1, 5, 5}), z({3, 3})));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: kernel_size must be >= 1 in each dimension, got kernel_size=(0, 3) (weight shape (1, "
                         "1, 0, 3))",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 0, 3})));
}

TEST(ConvErrors, HyperParametersOutOfRange)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument, "conv2d: stride must be >= 1 in each dimension, got stride=(0, 1)",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().stride(0, 1)));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: dilation must be >= 1 in each dimension, got dilation=(1, 0) (1 means an undilated kernel)",
        conv_transpose2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv_transpose2d_options().dilation(1, 0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "conv2d: padding must be >= 0 in each dimension, got padding=(-1, -1)",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().padding(-1)));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: output_padding must be >= 0 in each dimension, got output_padding=(-1, 0)",
        conv_transpose2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv_transpose2d_options().output_padding(-1, 0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "conv2d: groups must be >= 1, got groups=0",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().groups(0)));
}

TEST(ConvErrors, KernelLargerThanPaddedInputShowsTheFormula)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv2d: expected the dilated kernel to fit in the padded input, got input shape (1, 1, 3, 3) and weight shape "
        "(1, 1, 4, 4): padded input height 3 + 2*0 = 3 < dilated kernel height 1*(4-1) + 1 = 4, so output height = "
        "floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((3 + 2*0 - 1*(4-1) - 1) / 1) + 1 = 0; use "
        "more padding, a smaller kernel or dilation, or a larger input",
        conv2d(z({1, 1, 3, 3}), z({1, 1, 4, 4})));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv2d: expected the dilated kernel to fit in the padded input, got input shape (2, 1, 5, 6) and weight shape "
        "(1, 1, 3, 2): padded input height 5 + 2*0 = 5 < dilated kernel height 3*(3-1) + 1 = 7, so output height = "
        "floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((5 + 2*0 - 3*(3-1) - 1) / 1) + 1 = -1; use "
        "more padding, a smaller kernel or dilation, or a larger input",
        conv2d(z({2, 1, 5, 6}), z({1, 1, 3, 2}), Tensor(), conv2d_options().dilation(3, 1).padding(0, 1)));
}

TEST(ConvErrors, OutputPaddingNotSmallerThanStrideOrDilation)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: output_padding must be smaller than stride or dilation, got output_padding=(2, 2) with "
        "stride=(2, 2) and dilation=(1, 1); set output_padding=1 (must be < stride=2) or pass output_size",
        conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                         conv_transpose2d_options().stride(2).output_padding(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: output_padding must be smaller than stride or dilation, got "
                         "output_padding=(0, 3) with stride=(1, 1) and dilation=(1, 3); set output_padding=2 for the "
                         "width (must be < dilation=3) or pass output_size",
                         conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                                          conv_transpose2d_options().dilation(1, 3).output_padding(0, 3)));
}

TEST(ConvErrors, OutputSizeOutsideReachableRange)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: output_size must lie within the reachable range, got output_size=(9, 7) "
                         "for input shape (1, 1, 3, 3) and weight shape (1, 1, 3, 3): the height must be in [7, 8], "
                         "where minimum = (H_in-1)*stride - 2*padding + dilation*(kH-1) + 1 = (3-1)*2 - 2*0 + 1*(3-1) "
                         "+ 1 = 7 and maximum = minimum + stride - 1 = 7 + 2 - 1 = 8",
                         conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                                          conv_transpose2d_options().stride(2), pair_t{9, 7}));
}

TEST(ConvErrors, TransposedOutputNotPositive)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: expected a positive output size, got input shape (1, 1, 1, 1) and weight shape (1, 1, 1, 1) "
        "giving output height = (H_in-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1 = (1-1)*1 - 2*1 + "
        "1*(1-1) + 0 + 1 = -1; reduce the padding (1) or use a larger input or kernel",
        conv_transpose2d(z({1, 1, 1, 1}), z({1, 1, 1, 1}), Tensor(), conv_transpose2d_options().padding(1)));
}

TEST(ConvErrors, BiasOfWrongLength)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: expected a bias of shape (4,) (one value per output channel), got shape (3,)",
                         conv2d(z({1, 1, 5, 5}), z({4, 1, 3, 3}), z({3})));
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv_transpose2d: expected a bias of shape (3,) (one value per output channel), got shape (2,)",
        conv_transpose2d(z({1, 2, 5, 5}), z({2, 3, 3, 3}), z({2}), conv_transpose2d_options()));
}

TEST(ConvErrors, PaddingModes)
{
    EXPECT_THROW_MESSAGE(
        std::invalid_argument,
        "conv2d: padding='same' needs stride 1 (as in PyTorch), got stride=(2, 2); use explicit padding with a stride, "
        "e.g. padding=dilation*(kernel-1)/2 for an odd kernel",
        conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().padding("same").stride(2)));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "conv2d: padding must be \"same\", \"valid\" or numbers, got \"full\"",
                         conv2d_options().padding("full"));
}

TEST(ConvErrors, MixedDtypes)
{
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: all inputs must have the same dtype, got float64 and float32; convert one with .to()",
                         conv2d(z({1, 1, 5, 5}), zeros({1, 1, 3, 3})));
}
TEST(ConvErrors, SizesBeyondInt64NameTheParameter)
{
    const std::int64_t big = std::int64_t(1) << 62;   // twice it wraps around to a negative int64
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d_output_size: padding=4611686018427387904 is too large: the padded input 5 + "
                         "2*4611686018427387904 does not fit in int64",
                         conv2d_output_size(5, 3, 1, big, 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: padding=4611686018427387904 is too large: the padded input height 5 + "
                         "2*4611686018427387904 does not fit in int64",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().padding(big, 0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: dilation=4611686018427387904 is too large: the dilated kernel width "
                         "4611686018427387904*(3-1) + 1 does not fit in int64",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().dilation(1, big)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv2d: dilation=4611686018427387904 is too large: the dilated kernel height "
                         "4611686018427387904*(3-1) + 1 does not fit in int64",
                         conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), Tensor(), conv2d_options().padding("same").dilation(big)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d: stride=4611686018427387904 is too large: the strided input height "
                         "(3-1)*4611686018427387904 does not fit in int64",
                         conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                                          conv_transpose2d_options().stride(big)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d_output_size: dilation=4611686018427387904 is too large: the dilated kernel "
                         "4611686018427387904*(3-1) does not fit in int64",
                         conv_transpose2d_output_size(3, 3, 1, 0, big, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d_output_size: padding=4611686018427387904 is too large: the total padding "
                         "2*4611686018427387904 does not fit in int64",
                         conv_transpose2d_output_size(3, 3, 1, big, 1, 0));
    // Each term fits, their sum does not.
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "conv_transpose2d_output_size: the output size (3-1)*4611686018427387903 - 2*0 + "
                         "4611686018427387904*(2-1) + 0 + 1 = 13835058055282163711 does not fit in int64; reduce the "
                         "stride or the dilation",
                         conv_transpose2d_output_size(3, 2, big - 1, 0, big, 0));
}

TEST(ConvErrors, OutputsTooLargeToAllocateNameTheOpAndTheSize)
{
    // The address space is capped, so the 640 GB are refused even where memory is overcommitted.
    if (!adjoint_test::k_refused_allocation_throws)
    {
        GTEST_SKIP() << "under AddressSanitizer a refused operator new aborts instead of throwing";
    }
    const adjoint_test::address_space_limit limit(std::uint64_t(1) << 30);
    ASSERT_TRUE(limit.active());
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "conv2d: cannot allocate 640.0 GB for an array of shape (1, 1, 400001, 400001) (float32)",
                         conv2d(zeros({1, 1, 1, 1}), zeros({1, 1, 1, 1}), Tensor(), conv2d_options().padding(200000)));
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "conv_transpose2d: cannot allocate 640.0 GB for an array of shape (1, 1, 400001, 400001) "
                         "(float32)",
                         conv_transpose2d(zeros({1, 1, 1, 1}), zeros({1, 1, 2, 2}), Tensor(),
                                          conv_transpose2d_options().dilation(400000)));
}

// Unlike the errors above, these are fine: the edges of what PyTorch accepts.
TEST(ConvErrors, EdgesThatAreAllowed)
{
    // output_padding may reach the dilation - 1 even with stride 1.
    EXPECT_TENSOR_SHAPE(conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                                         conv_transpose2d_options().dilation(3).output_padding(2)),
                        {1, 1, 11, 11});
    // Both ends of the output_size range; output_size overrides output_padding.
    EXPECT_TENSOR_SHAPE(conv_transpose2d(z({1, 1, 3, 3}), z({1, 1, 3, 3}), Tensor(),
                                         conv_transpose2d_options().stride(2).output_padding(1), pair_t{7, 8}),
                        {1, 1, 7, 8});
    // A kernel exactly as large as the padded input gives a 1x1 output.
    EXPECT_TENSOR_SHAPE(conv2d(z({1, 1, 3, 2}), z({1, 1, 5, 4}), Tensor(), conv2d_options().padding(1)), {1, 1, 1, 1});
    // 'same' keeps the size for an even kernel; 'valid' is no padding.
    EXPECT_TENSOR_SHAPE(conv2d(z({2, 5, 4}), z({3, 2, 4, 2}), Tensor(), conv2d_options().padding("same")), {3, 5, 4});
    EXPECT_TENSOR_SHAPE(conv2d(z({2, 5, 4}), z({3, 2, 4, 2}), Tensor(), conv2d_options().padding("valid")), {3, 2, 3});
    // An empty batch passes through.
    EXPECT_TENSOR_SHAPE(conv2d(z({0, 2, 5, 4}), z({3, 2, 2, 2})), {0, 3, 4, 3});
}
