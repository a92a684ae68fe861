// Bad input everywhere: one table of the argument configurations PyTorch rejects, for the
// public ops a model is built from, each with the exact std::invalid_argument this library
// raises. tests/python/bad_input_table_torch.py checks that PyTorch 1.13 rejects every row
// (two rows, marked, are deliberately stricter than PyTorch).
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <functional>

using namespace adjoint;

namespace
{
    struct bad_input
    {
        const char* op;
        const char* configuration;   // in PyTorch's terms, for the failure message
        std::function<void()> call;
        const char* message;
    };

    Tensor t(const shape_t& shape, adjoint::dtype dt = float32) { return zeros(shape, dt); }
    Tensor labels(const shape_t& shape) { return zeros(shape, int64); }

    const std::vector<bad_input>& table()
    {
        static const std::vector<bad_input> rows = {
            // ---- conv2d ----
            {"conv2d", "2-d input", [] { conv2d(t({3, 4}), t({1, 1, 1, 1})); },
             "conv2d: expected an input of rank 4 (N, C_in, H, W) or 3 (C_in, H, W), got shape (3, 4) (rank 2)"},
            {"conv2d", "3-d weight", [] { conv2d(t({1, 1, 4, 4}), t({1, 1, 3})); },
             "conv2d: expected a weight of rank 4 (C_out, C_in/groups, kH, kW), got shape (1, 1, 3) (rank 3)"},
            {"conv2d", "input channels != weight.shape[1] * groups", [] { conv2d(t({1, 3, 5, 5}), t({4, 2, 3, 3})); },
             "conv2d: weight of shape (4, 2, 3, 3) expects C_in = weight.shape[1]*groups = 2*1 = 2 input channels, got input shape (1, 3, 5, 5) with C_in=3; the weight must be (C_out, C_in/groups, kH, kW) = (4, 3, 3, 3)"},
            {"conv2d", "stride 0", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().stride(0)); },
             "conv2d: stride must be >= 1 in each dimension, got stride=(0, 0)"},
            {"conv2d", "negative padding", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().padding(-1)); },
             "conv2d: padding must be >= 0 in each dimension, got padding=(-1, -1)"},
            {"conv2d", "dilation 0", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().dilation(0)); },
             "conv2d: dilation must be >= 1 in each dimension, got dilation=(0, 0) (1 means an undilated kernel)"},
            {"conv2d", "groups 0", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().groups(0)); },
             "conv2d: groups must be >= 1, got groups=0"},
            {"conv2d", "out channels not divisible by groups", [] { conv2d(t({1, 2, 5, 5}), t({3, 1, 3, 3}), {}, conv2d_options().groups(2)); },
             "conv2d: output channels C_out=weight.shape[0]=3 must be divisible by groups=2, got weight shape (3, 1, 3, 3); choose groups dividing both C_in=2 and C_out=3"},
            {"conv2d", "kernel larger than the padded input", [] { conv2d(t({1, 1, 2, 2}), t({1, 1, 3, 3})); },
             "conv2d: expected the dilated kernel to fit in the padded input, got input shape (1, 1, 2, 2) and weight shape (1, 1, 3, 3): padded input height 2 + 2*0 = 2 < dilated kernel height 1*(3-1) + 1 = 3, so output height = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((2 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 0; use more padding, a smaller kernel or dilation, or a larger input"},
            {"conv2d", "bias of the wrong length", [] { conv2d(t({1, 1, 5, 5}), t({2, 1, 3, 3}), t({3})); },
             "conv2d: expected a bias of shape (2,) (one value per output channel), got shape (3,)"},
            {"conv2d", "padding='same' with stride 2", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().stride(2).padding("same")); },
             "conv2d: padding='same' needs stride 1 (as in PyTorch), got stride=(2, 2); use explicit padding with a stride, e.g. padding=dilation*(kernel-1)/2 for an odd kernel"},
            {"conv2d", "unknown padding string", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}), {}, conv2d_options().padding("full")); },
             "conv2d: padding must be \"same\", \"valid\" or numbers, got \"full\""},
            {"conv2d", "float32 input, float64 weight", [] { conv2d(t({1, 1, 5, 5}), t({1, 1, 3, 3}, float64)); },
             "conv2d: all inputs must have the same dtype, got float32 and float64; convert one with .to()"},
            // ---- conv_transpose2d ----
            {"conv_transpose2d", "2-d input", [] { conv_transpose2d(t({3, 4}), t({1, 1, 1, 1})); },
             "conv_transpose2d: expected an input of rank 4 (N, C_in, H, W) or 3 (C_in, H, W), got shape (3, 4) (rank 2)"},
            {"conv_transpose2d", "input channels != weight.shape[0]", [] { conv_transpose2d(t({1, 3, 4, 4}), t({2, 1, 3, 3})); },
             "conv_transpose2d: weight of shape (2, 1, 3, 3) expects C_in = weight.shape[0] = 2 input channels, got input shape (1, 3, 4, 4) with C_in=3; the weight must be (C_in, C_out/groups, kH, kW) = (3, C_out/groups, 3, 3)"},
            {"conv_transpose2d", "stride 0", [] { conv_transpose2d(t({1, 1, 4, 4}), t({1, 1, 3, 3}), {}, conv_transpose2d_options().stride(0)); },
             "conv_transpose2d: stride must be >= 1 in each dimension, got stride=(0, 0)"},
            {"conv_transpose2d", "output_padding >= stride and >= dilation", [] { conv_transpose2d(t({1, 1, 4, 4}), t({1, 1, 3, 3}), {}, conv_transpose2d_options().stride(2).output_padding(2)); },
             "conv_transpose2d: output_padding must be smaller than stride or dilation, got output_padding=(2, 2) with stride=(2, 2) and dilation=(1, 1); set output_padding=1 (must be < stride=2) or pass output_size"},
            {"conv_transpose2d", "output size below 1", [] { conv_transpose2d(t({1, 1, 1, 1}), t({1, 1, 1, 1}), {}, conv_transpose2d_options().padding(1)); },
             "conv_transpose2d: expected a positive output size, got input shape (1, 1, 1, 1) and weight shape (1, 1, 1, 1) giving output height = (H_in-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1 = (1-1)*1 - 2*1 + 1*(1-1) + 0 + 1 = -1; reduce the padding (1) or use a larger input or kernel"},
            {"conv_transpose2d", "groups not dividing input channels", [] { conv_transpose2d(t({1, 3, 4, 4}), t({3, 1, 3, 3}), {}, conv_transpose2d_options().groups(2)); },
             "conv_transpose2d: input channels C_in=3 must be divisible by groups=2, got input shape (1, 3, 4, 4); choose groups dividing C_in=3"},
            {"conv_transpose2d", "output_size out of range", [] { conv_transpose2d(t({1, 1, 4, 4}), t({1, 1, 3, 3}), {}, conv_transpose2d_options().stride(2), pair_t{20, 20}); },
             "conv_transpose2d: output_size must lie within the reachable range, got output_size=(20, 20) for input shape (1, 1, 4, 4) and weight shape (1, 1, 3, 3): the height must be in [9, 10], where minimum = (H_in-1)*stride - 2*padding + dilation*(kH-1) + 1 = (4-1)*2 - 2*0 + 1*(3-1) + 1 = 9 and maximum = minimum + stride - 1 = 9 + 2 - 1 = 10"},
            // ---- max_pool2d / avg_pool2d ----
            {"max_pool2d", "2-d input", [] { max_pool2d(t({4, 4}), max_pool2d_options(2)); },
             "max_pool2d: expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape (4, 4) (rank 2)"},
            {"max_pool2d", "kernel 0", [] { max_pool2d(t({1, 1, 4, 4}), max_pool2d_options(0)); },
             "max_pool2d: kernel_size must be >= 1 in each dimension, got kernel_size=(0, 0)"},
            {"max_pool2d", "stride 0", [] { max_pool2d(t({1, 1, 4, 4}), max_pool2d_options(2).stride(0)); },
             "max_pool2d: stride must be >= 1 in each dimension, got stride=(0, 0)"},
            {"max_pool2d", "padding > kernel / 2", [] { max_pool2d(t({1, 1, 4, 4}), max_pool2d_options(2).padding(2)); },
             "max_pool2d: padding must be at most half of kernel_size in each dimension, got padding=(2, 2) and kernel_size=(2, 2) (height: 2 > floor(2/2) = 1)"},
            {"max_pool2d", "dilation 0", [] { max_pool2d(t({1, 1, 4, 4}), max_pool2d_options(2).dilation(0)); },
             "max_pool2d: dilation must be >= 1 in each dimension, got dilation=(0, 0)"},
            {"max_pool2d", "window larger than the input", [] { max_pool2d(t({1, 1, 2, 2}), max_pool2d_options(3)); },
             "max_pool2d: expected the pooling window to fit in the padded input, got input shape (1, 1, 2, 2) with kernel_size=(3, 3), stride=(3, 3), padding=(0, 0) and dilation=(1, 1): output height = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((2 + 2*0 - 1*(3-1) - 1) / 3) + 1 = 0; use a smaller kernel_size or dilation, more padding, or a larger input"},
            {"avg_pool2d", "2-d input", [] { avg_pool2d(t({4, 4}), avg_pool2d_options(2)); },
             "avg_pool2d: expected an input of rank 4 (N, C, H, W) or 3 (C, H, W), got shape (4, 4) (rank 2)"},
            {"avg_pool2d", "kernel 0", [] { avg_pool2d(t({1, 1, 4, 4}), avg_pool2d_options(0)); },
             "avg_pool2d: kernel_size must be >= 1 in each dimension, got kernel_size=(0, 0)"},
            {"avg_pool2d", "stride 0", [] { avg_pool2d(t({1, 1, 4, 4}), avg_pool2d_options(2).stride(0)); },
             "avg_pool2d: stride must be >= 1 in each dimension, got stride=(0, 0)"},
            {"avg_pool2d", "padding > kernel / 2", [] { avg_pool2d(t({1, 1, 4, 4}), avg_pool2d_options(2).padding(2)); },
             "avg_pool2d: padding must be at most half of kernel_size in each dimension, got padding=(2, 2) and kernel_size=(2, 2) (height: 2 > floor(2/2) = 1)"},
            {"avg_pool2d", "window larger than the input", [] { avg_pool2d(t({1, 1, 2, 2}), avg_pool2d_options(3)); },
             "avg_pool2d: expected the pooling window to fit in the padded input, got input shape (1, 1, 2, 2) with kernel_size=(3, 3), stride=(3, 3), padding=(0, 0) and dilation=(1, 1): output height = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1 = floor((2 + 2*0 - 1*(3-1) - 1) / 3) + 1 = 0; use a smaller kernel_size or dilation, more padding, or a larger input"},
            // ---- losses ----
            {"cross_entropy", "target batch size != input batch size", [] { cross_entropy(t({4, 3}), labels({5})); },
             "cross_entropy: target size (5,) must be the input size (4, 3) without the class axis 1, (4,)"},
            {"cross_entropy", "class-probability target of another shape", [] { cross_entropy(t({4, 3}), t({4, 2})); },
             "cross_entropy: target must be int64 class indices of size (4,) or float32 class probabilities of the input size (4, 3), got float32 of size (4, 2)"},
            {"cross_entropy", "class weight of the wrong length", [] { cross_entropy(t({4, 3}), labels({4}), cross_entropy_options().weight(ones({2}))); },
             "cross_entropy: weight must hold one value per class, shape (3,), got (2,)"},
            {"cross_entropy", "label_smoothing above 1", [] { cross_entropy(t({4, 3}), labels({4}), cross_entropy_options().label_smoothing(1.5)); },
             "cross_entropy: label_smoothing must be in [0, 1], got 1.5"},
            {"cross_entropy", "float target for (N, C, H, W) logits with (N, H, W) shape", [] { cross_entropy(t({2, 3, 4, 4}), t({2, 4, 4})); },
             "cross_entropy: target must be int64 class indices of size (2, 4, 4) or float32 class probabilities of the input size (2, 3, 4, 4), got float32 of size (2, 4, 4)"},
            {"binary_cross_entropy_with_logits", "target of another shape", [] { binary_cross_entropy_with_logits(t({4, 3}), t({4, 2})); },
             "binary_cross_entropy_with_logits: target size (4, 2) must be the same as input size (4, 3)"},
            {"mse_loss", "shapes that do not broadcast", [] { mse_loss(t({4, 3}), t({4, 2})); },
             "mse_loss: target size (4, 2) must be the same as input size (4, 3)"},
            // ---- batch_norm ----
            {"batch_norm", "1-d input", [] { batch_norm(t({4}), t({4}), ones({4}), {}, {}, true); },
             "batch_norm: expected an input of at least 2 dimensions [N, C, ...], got size (4,)"},
            {"batch_norm", "running_mean of the wrong length", [] { batch_norm(t({2, 3, 4, 4}), t({4}), ones({3}), {}, {}, true); },
             "batch_norm: expected running_mean of shape (3,) for an input with 3 channels (input size (2, 3, 4, 4)), got (4,)"},
            {"batch_norm", "weight of the wrong length", [] { batch_norm(t({2, 3, 4, 4}), t({3}), ones({3}), ones({2})); },
             "batch_norm: expected weight of shape (3,) for an input with 3 channels (input size (2, 3, 4, 4)), got (2,)"},
            {"batch_norm", "bias of the wrong length", [] { batch_norm(t({2, 3, 4, 4}), t({3}), ones({3}), ones({3}), t({4})); },
             "batch_norm: expected bias of shape (3,) for an input with 3 channels (input size (2, 3, 4, 4)), got (4,)"},
            {"batch_norm", "one value per channel when training", [] { batch_norm(t({1, 3}), t({3}), ones({3}), {}, {}, true); },
             "batch_norm: expected more than 1 value per channel when training, got input size (1, 3)"},
            {"batch_norm", "eval without running statistics", [] { batch_norm(t({2, 3}), {}, {}, {}, {}, false); },
             "batch_norm: expected running_mean and running_var in evaluation mode (training = false), got none; pass training = true to normalise with the batch statistics"},
            // ---- cat ----
            {"cat", "no tensors", [] { cat({}); },
             "cat: expected at least one tensor, got none"},
            {"cat", "sizes differ off the cat axis", [] { cat({t({2, 3}), t({2, 4})}, 0); },
             "cat: tensors must have the same shape except along axis 0, got (2, 3) and (2, 4) (tensor 1); they differ along axis 1 (3 vs 4): crop or pad one to match first (pad with negative amounts crops)"},
            {"cat", "different ranks", [] { cat({t({2, 3}), t({3})}); },
             "cat: tensors must have the same shape except along axis 0, got (2, 3) and (3,) (tensor 1)"},
            {"cat", "axis out of range", [] { cat({t({2, 3}), t({2, 3})}, 2); },
             "cat: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2"},
            {"cat", "mixed dtypes (stricter than PyTorch, which promotes)", [] { cat({t({2, 3}), t({2, 3}, float64)}); },
             "cat: all inputs must have the same dtype, got float32 and float64; convert one with .to()"},
            // ---- reshape ----
            {"reshape", "element count differs", [] { reshape(t({2, 5}), {3, 3}); },
             "reshape: shape (3, 3) (9 elements) does not fit (2, 5) (10 elements)"},
            {"reshape", "two -1", [] { reshape(t({2, 6}), {-1, -1}); },
             "reshape: at most one dimension may be -1, got (-1, -1)"},
            {"reshape", "a dimension below -1", [] { reshape(t({2, 6}), {-2, -6}); },
             "reshape: dimensions must be >= 0 or -1, got (-2, -6)"},
            {"reshape", "-1 that cannot be inferred", [] { reshape(t({2, 5}), {3, -1}); },
             "reshape: shape (3, -1) does not fit (2, 5) (10 elements)"},
            // ---- linear ----
            {"linear", "in features differ", [] { linear(t({4, 3}), t({2, 5})); },
             "linear: expected input with last dimension 5 (in_features), got shape (4, 3)"},
            {"linear", "bias of the wrong length", [] { linear(t({4, 3}), t({2, 3}), t({3})); },
             "linear: expected bias of shape (2,) (out_features), got shape (3,)"},
            {"linear", "1-d weight (stricter than PyTorch, which takes a dot product)", [] { linear(t({4, 3}), t({3})); },
             "linear: expected a 2-d weight (out_features, in_features), got shape (3,)"},
            {"linear", "0-d input", [] { linear(t({}), t({2, 3})); },
             "linear: expected input with last dimension 3 (in_features), got shape ()"},
        };
        return rows;
    }
}

TEST(BadInputTable, EveryConfigurationPyTorchRejectsRaisesItsMessage)
{
    for (const auto& row : table())
    {
        SCOPED_TRACE(std::string(row.op) + ": " + row.configuration);
        EXPECT_TRUE(::adjoint::testing::throws_with_message<std::invalid_argument>(row.call, row.message));
    }
}
