// Shape ops: hand-worked values, gradcheck / gradgradcheck in float64, PyTorch goldens
// (tests/fixtures/generate_shape_ops.py) at 1e-10, and every bad-argument message.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include "golden_helpers.hpp"

#include <functional>
#include <string>

using namespace adjoint;
using namespace golden;

namespace
{
    // The name of the node that computes a gradient recorded with create_graph: shows that
    // a backward is itself the expected (differentiable) shape op.
    std::string backward_op_name(const Tensor& y, const Tensor& x)
    {
        Tensor gy = ones_like(y);
        const Tensor g = grad({y}, {x}, {gy.requires_grad_()}, /*retain_graph=*/true, /*create_graph=*/true)[0];
        return g.grad_fn() ? g.grad_fn()->name() : "<none>";
    }
} // namespace

// ---- reshape ----

TEST(Reshape, InfersOneMinusOneAxis)
{
    Tensor x = arange(12.0, float64);
    Tensor y = reshape(x, {3, -1});
    EXPECT_TENSOR_SHAPE(y, {3, 4});
    EXPECT_TENSOR_NEAR(y, tensor({{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(reshape(x, {-1, 2, 2}), {3, 2, 2});
    EXPECT_TENSOR_SHAPE(reshape(x, {-1}), {12});
}

TEST(Reshape, Errors)
{
    Tensor x = arange(12.0, float64);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: shape (5, 2) (10 elements) does not fit (12,) (12 elements)",
                         reshape(x, {5, 2}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: shape (5, -1) does not fit (12,) (12 elements)",
                         reshape(x, {5, -1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: at most one dimension may be -1, got (-1, -1)",
                         reshape(x, {-1, -1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "reshape: dimensions must be >= 0 or -1, got (-2, -6)",
                         reshape(x, {-2, -6}));
}

TEST(Reshape, Gradients)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return reshape(in[0], {4, -1}); }, {distinct({2, 3, 2})});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return reshape(in[0] * in[0], {-1}); }, {distinct({2, 3})});
}

// ---- permute / transpose ----

TEST(Permute, HandWorkedValues)
{
    Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, float64);
    EXPECT_TENSOR_NEAR(permute(x, {1, 0}), tensor({{1, 4}, {2, 5}, {3, 6}}, float64), 0.0, 0.0);
    // (2, 1, 3) -> (3, 2, 1): out[k][i][j] = in[i][j][k]
    Tensor y = permute(reshape(x, {2, 1, 3}), {-1, 0, 1});
    EXPECT_TENSOR_SHAPE(y, {3, 2, 1});
    EXPECT_EQ(y.to_vector(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
    EXPECT_TRUE(permute(x, {0, 1}).is_same(x));
}

TEST(Permute, Errors)
{
    Tensor x = zeros({2, 3, 4});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "permute: axes must be a permutation of the 3 axes of shape (2, 3, 4), got "
                         "(0, 0, 1)",
                         permute(x, {0, 0, 1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "permute: axes must be a permutation of the 3 axes of shape (2, 3, 4), got "
                         "(1, 0)",
                         permute(x, {1, 0}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "permute: axis must be in [-3, 2] for a tensor of 3 dimensions, got 3",
                         permute(x, {0, 1, 3}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "transpose: axis must be in [-3, 2] for a tensor of 3 dimensions, got -4",
                         transpose(x, 0, -4));
}

TEST(Permute, GradientsAndBackwardIsInversePermute)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return permute(in[0], {2, 0, 1}); }, {distinct({2, 3, 4})});
    EXPECT_GRADGRADCHECK(
        [](const tensor_list& in) {
            return permute(in[0] * in[0], {1, 2, 0});
        },
        {distinct({2, 3, 2})});
    EXPECT_GRADCHECK([](const tensor_list& in) { return transpose(in[0], 0, -1); }, {distinct({3, 2, 2})});
    // The gradient of a (3, 4, 2) output flowing back to (2, 3, 4) must be un-permuted.
    Tensor x = distinct({2, 3, 4});
    Tensor y = permute(x, {2, 0, 1});
    Tensor gy = reshape(arange(24.0, float64), {4, 2, 3});
    Tensor gx = grad({y}, {x}, {gy})[0];
    EXPECT_TENSOR_NEAR(gx, permute(gy, {1, 2, 0}), 0.0, 0.0);
    EXPECT_EQ(backward_op_name(permute(x, {2, 0, 1}), x), "permute");
}

TEST(Permute, MatchesPyTorch)
{
    expect_matches_golden("shape_ops", "permute", 1, [](const tensor_list& in) { return permute(in[0], {2, 0, 1}); });
    expect_matches_golden("shape_ops", "transpose", 1, [](const tensor_list& in) { return transpose(in[0], 0, 2); });
}

TEST(Transpose, HandWorkedAndTrivialCases)
{
    Tensor x = tensor({{1, 2}, {3, 4}, {5, 6}}, float64);
    EXPECT_TENSOR_NEAR(transpose(x, 0, 1), tensor({{1, 3, 5}, {2, 4, 6}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(transpose(x, -1, -2), tensor({{1, 3, 5}, {2, 4, 6}}, float64), 0.0, 0.0);
    Tensor v = tensor({1, 2, 3});
    EXPECT_TRUE(transpose(v, 0, -1).is_same(v));
}

// ---- squeeze / unsqueeze / flatten ----

TEST(Squeeze, ShapesAndValues)
{
    Tensor x = reshape(arange(6.0, float64), {1, 2, 1, 3});
    EXPECT_TENSOR_SHAPE(squeeze(x), {2, 3});
    EXPECT_TENSOR_SHAPE(squeeze(x, 0), {2, 1, 3});
    EXPECT_TENSOR_SHAPE(squeeze(x, -2), {1, 2, 3});
    EXPECT_TRUE(squeeze(x, 1).is_same(x)); // size 2: nothing to drop
    EXPECT_EQ(squeeze(x).to_vector(), x.to_vector());
    EXPECT_TENSOR_SHAPE(squeeze(ones({1, 1})), {});
    EXPECT_THROW_MESSAGE(std::invalid_argument, "squeeze: axis must be in [-4, 3] for a tensor of 4 dimensions, got 4",
                         squeeze(x, 4));
}

TEST(Unsqueeze, ShapesAndErrors)
{
    Tensor x = zeros({2, 3});
    EXPECT_TENSOR_SHAPE(unsqueeze(x, 0), {1, 2, 3});
    EXPECT_TENSOR_SHAPE(unsqueeze(x, 2), {2, 3, 1});
    EXPECT_TENSOR_SHAPE(unsqueeze(x, -1), {2, 3, 1});
    EXPECT_TENSOR_SHAPE(unsqueeze(x, -3), {1, 2, 3});
    EXPECT_TENSOR_SHAPE(unsqueeze(scalar(2.0), 0), {1});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "unsqueeze: axis must be in [-3, 2] to insert a new axis into shape (2, 3), "
                         "got 3",
                         unsqueeze(x, 3));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "unsqueeze: axis must be in [-3, 2] to insert a new axis into shape (2, 3), "
                         "got -4",
                         unsqueeze(x, -4));
}

TEST(SqueezeUnsqueeze, GradientsAreReshapes)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return squeeze(in[0]); }, {distinct({1, 3, 1, 2})});
    EXPECT_GRADCHECK([](const tensor_list& in) { return squeeze(in[0], 2); }, {distinct({2, 3, 1})});
    EXPECT_GRADCHECK([](const tensor_list& in) { return unsqueeze(in[0], 1); }, {distinct({2, 3})});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return unsqueeze(in[0] * in[0], -1); }, {distinct({2, 2})});
    Tensor x = distinct({2, 1, 3});
    EXPECT_EQ(backward_op_name(squeeze(x), x), "reshape");
    EXPECT_EQ(backward_op_name(unsqueeze(x, 0), x), "reshape");
}

TEST(Flatten, ShapesValuesAndErrors)
{
    Tensor x = reshape(arange(48.0, float64), {2, 3, 4, 2});
    EXPECT_TENSOR_SHAPE(flatten(x), {48});
    EXPECT_TENSOR_SHAPE(flatten(x, 1), {2, 24});
    EXPECT_TENSOR_SHAPE(flatten(x, 1, 2), {2, 12, 2});
    EXPECT_TENSOR_SHAPE(flatten(x, -2, -1), {2, 3, 8});
    EXPECT_TENSOR_SHAPE(flatten(x, 2, 2), {2, 3, 4, 2});
    EXPECT_TENSOR_SHAPE(flatten(scalar(1.0)), {1});
    EXPECT_EQ(flatten(x, 1, 2).to_vector(), x.to_vector());
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "flatten: start_axis must not come after end_axis, got start_axis=2, "
                         "end_axis=1 for shape (2, 3, 4, 2)",
                         flatten(x, 2, 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "flatten: axis must be in [-4, 3] for a tensor of 4 dimensions, got 4",
                         flatten(x, 0, 4));
}

TEST(Flatten, GradientsAndGolden)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return flatten(in[0], 1, 2); }, {distinct({2, 3, 2, 2})});
    expect_matches_golden("shape_ops", "flatten", 1, [](const tensor_list& in) { return flatten(in[0], 1, 2); });
}

// ---- cat / stack ----

TEST(Cat, HandWorkedValues)
{
    Tensor a = tensor({{1, 2}, {3, 4}}, float64);
    Tensor b = reshape(tensor({5, 6}, float64), {2, 1}); // tensor({{5}, {6}}) would be ambiguous
    EXPECT_TENSOR_NEAR(cat({a, b}, 1), tensor({{1, 2, 5}, {3, 4, 6}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(cat({a, a}, -2), tensor({{1, 2}, {3, 4}, {1, 2}, {3, 4}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(cat({a, zeros({2, 0}, float64)}, 1), {2, 2});
}

TEST(Cat, Errors)
{
    Tensor a = zeros({2, 3});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: tensors must have the same shape except along axis 1, got (2, 3) and "
                         "(3, 3) (tensor 1); they differ along axis 0 (2 vs 3): crop or pad one to match first "
                         "(pad with negative amounts crops)",
                         cat({a, zeros({3, 3})}, 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: tensors must have the same shape except along axis 0, got (2, 3) and "
                         "(2, 3, 1) (tensor 1)",
                         cat({a, zeros({2, 3, 1})}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: all inputs must have the same dtype, got float32 and float64; convert "
                         "one with .to()",
                         cat({a, zeros({2, 3}, float64)}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "cat: expected at least one tensor, got none", cat({}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "cat: expected tensors with at least 1 dimension, got a 0-d tensor; use stack to join scalars",
                         cat({scalar(1.0), scalar(2.0)}, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "cat: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         cat({a, a}, 2));
}

TEST(Cat, GradientsAndGolden)
{
    EXPECT_GRADCHECK(
        [](const tensor_list& in) {
            return cat({in[0], in[1], in[0]}, 1);
        },
        {distinct({2, 3}), distinct({2, 1})});
    EXPECT_GRADGRADCHECK(
        [](const tensor_list& in) {
            return cat({in[0] * in[1], in[1]}, 0);
        },
        {distinct({2, 2}), distinct({2, 2})});
    expect_matches_golden("shape_ops", "cat", 2, [](const tensor_list& in) { return cat({in[0], in[1]}, 1); });
}

TEST(Stack, HandWorkedValues)
{
    Tensor a = tensor({1, 2, 3}, float64);
    Tensor b = tensor({4, 5, 6}, float64);
    EXPECT_TENSOR_NEAR(stack({a, b}), tensor({{1, 2, 3}, {4, 5, 6}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(stack({a, b}, 1), tensor({{1, 4}, {2, 5}, {3, 6}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(stack({a, b}, -1), tensor({{1, 4}, {2, 5}, {3, 6}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(stack({scalar(1.0), scalar(2.0)}), {2});
    EXPECT_EQ(stack({a, b}).grad_fn(), nullptr);
}

TEST(Stack, Errors)
{
    Tensor a = zeros({2, 3});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "stack: tensors must all have the same shape, got (2, 3) and (3, 2) "
                         "(tensor 2)",
                         stack({a, a, zeros({3, 2})}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "stack: all inputs must have the same dtype, got float32 and float64; "
                         "convert one with .to()",
                         stack({a, zeros({2, 3}, float64)}));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "stack: expected at least one tensor, got none", stack({}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "stack: axis must be in [-3, 2] to insert a new axis into shape (2, 3), got 3",
                         stack({a, a}, 3));
}

TEST(Stack, GradientsAndGolden)
{
    EXPECT_GRADCHECK(
        [](const tensor_list& in) {
            return stack({in[0], in[1], in[0]}, 1);
        },
        {distinct({2, 3}), distinct({2, 3})});
    EXPECT_GRADGRADCHECK(
        [](const tensor_list& in) {
            return stack({in[0] * in[1], in[1]}, -1);
        },
        {distinct({3}), distinct({3})});
    expect_matches_golden("shape_ops", "stack", 3,
                          [](const tensor_list& in) {
                              return stack({in[0], in[1], in[2]}, 1);
                          });
    Tensor a = distinct({2, 3});
    EXPECT_EQ(stack({a, a}).grad_fn()->name(), "stack");
    // Only the inputs that require grad get one.
    Tensor frozen = zeros({2, 3}, float64);
    sum(stack({a, frozen}) * 2.0).backward();
    EXPECT_TENSOR_NEAR(a.grad(), full({2, 3}, 2.0, float64), 0.0, 0.0);
    EXPECT_FALSE(frozen.grad().defined());
}

// ---- pad ----

TEST(Pad, HandWorkedValues)
{
    Tensor v = tensor({1, 2, 3}, float64);
    EXPECT_TENSOR_NEAR(pad(v, {1, 2}, 9.0), tensor({9, 1, 2, 3, 9, 9}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(pad(v, {-1, 1}), tensor({2, 3, 0}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(pad(v, {2, -3}, 7.0), tensor({7, 7}, float64), 0.0, 0.0);
    EXPECT_TENSOR_SHAPE(pad(v, {-2, -1}), {0});
    Tensor m = tensor({{1, 2}, {3, 4}}, float64);
    // {left, right, top, bottom}: the last axis first, as in F.pad.
    EXPECT_TENSOR_NEAR(pad(m, {1, 0, 0, 1}), tensor({{0, 1, 2}, {0, 3, 4}, {0, 0, 0}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(pad(m, {0, 0, -1, 0}), tensor({{3, 4}}, float64), 0.0, 0.0);
    EXPECT_TRUE(pad(m, {0, 0}).is_same(m));
    EXPECT_TRUE(pad(m, {}).is_same(m));
}

TEST(Pad, Errors)
{
    Tensor x = zeros({2, 3});
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: pads must be (before, after) pairs, last axis first, at most 4 values "
                         "for shape (2, 3), got 3 values (1, 2, 3)",
                         pad(x, {1, 2, 3}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: pads must be (before, after) pairs, last axis first, at most 4 values "
                         "for shape (2, 3), got 6 values (1, 1, 1, 1, 1, 1)",
                         pad(x, {1, 1, 1, 1, 1, 1}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: negative pads can crop at most the 3 elements of axis 1 of shape (2, 3), "
                         "got (-2, -2) for that axis",
                         pad(x, {-2, -2}));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "pad: negative pads can crop at most the 2 elements of axis 0 of shape (2, 3), "
                         "got (1, -4) for that axis",
                         pad(x, {0, 0, 1, -4}));
}

TEST(Pad, GradientsAndBackwardIsCrop)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return pad(in[0], {1, 2, -1, 0}, 0.5); }, {distinct({3, 4})});
    EXPECT_GRADCHECK([](const tensor_list& in) { return pad(in[0], {-1, -1, 2, 1, 1, 0}); }, {distinct({2, 2, 4})});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return pad(in[0] * in[0], {2, -1}); }, {distinct({2, 3})});
    Tensor x = distinct({3});
    Tensor y = pad(x, {1, -1}); // [0, x0, x1]
    Tensor gx = grad({y}, {x}, {tensor({10, 20, 30}, float64)})[0];
    EXPECT_TENSOR_NEAR(gx, tensor({20, 30, 0}, float64), 0.0, 0.0);
    EXPECT_EQ(backward_op_name(pad(x, {1, -1}), x), "pad");
}

TEST(Pad, MatchesPyTorch)
{
    expect_matches_golden("shape_ops", "pad", 1,
                          [](const tensor_list& in) {
                              return pad(in[0], {1, 2, -1, 0, 0, 1}, 0.5);
                          });
    expect_matches_golden("shape_ops", "pad_crop", 1,
                          [](const tensor_list& in) {
                              return pad(in[0], {-1, -2, 2, -1});
                          });
}

// ---- slice / narrow / expand ----

TEST(Slice, StepsAndNegativeBounds)
{
    Tensor v = arange(10.0, float64);
    EXPECT_EQ(slice(v, 0, 1, 8, 3).to_vector(), (std::vector<double>{1, 4, 7}));
    EXPECT_EQ(slice(v, 0, -4, 10, 2).to_vector(), (std::vector<double>{6, 8}));
    EXPECT_EQ(slice(v, 0, -3, -1).to_vector(), (std::vector<double>{7, 8}));
    EXPECT_EQ(slice(v, 0, -100, 2).to_vector(), (std::vector<double>{0, 1})); // bounds clip like Python
    EXPECT_EQ(slice(v, 0, 8, 100, 5).to_vector(), (std::vector<double>{8}));
    EXPECT_TENSOR_SHAPE(slice(v, 0, 5, 2), {0});
    Tensor m = reshape(arange(12.0, float64), {3, 4});
    EXPECT_TENSOR_NEAR(slice(m, 1, 1, 4, 2), tensor({{1, 3}, {5, 7}, {9, 11}}, float64), 0.0, 0.0);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "slice: step must be >= 1, got 0", slice(v, 0, 0, 5, 0));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "slice: axis must be in [-2, 1] for a tensor of 2 dimensions, got 2",
                         slice(m, 2, 0, 1));
}

TEST(Slice, GradientsAndGolden)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return slice(in[0], 1, -3, 4, 2); }, {distinct({2, 5})});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return slice(in[0] * in[0], 0, 1, 5, 2); }, {distinct({5, 2})});
    expect_matches_golden("shape_ops", "slice", 1, [](const tensor_list& in) { return slice(in[0], 0, -4, 5, 2); });
}

TEST(Narrow, ValuesAndOutOfRange)
{
    Tensor m = reshape(arange(12.0, float64), {3, 4});
    EXPECT_TENSOR_NEAR(narrow(m, 0, 1, 2), tensor({{4, 5, 6, 7}, {8, 9, 10, 11}}, float64), 0.0, 0.0);
    EXPECT_TENSOR_NEAR(narrow(m, -1, -2, 2), tensor({{2, 3}, {6, 7}, {10, 11}}, float64), 0.0, 0.0);
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "narrow: start + length must lie within [0, 4] along axis 1 of shape (3, 4), "
                         "got start=3, length=2",
                         narrow(m, 1, 3, 2));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "narrow: start + length must lie within [0, 3] along axis 0 of shape (3, 4), "
                         "got start=-4, length=1",
                         narrow(m, 0, -4, 1));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "narrow: start + length must lie within [0, 3] along axis 0 of shape (3, 4), "
                         "got start=0, length=-1",
                         narrow(m, 0, 0, -1));
    EXPECT_GRADCHECK([](const tensor_list& in) { return narrow(in[0], 1, 1, 2); }, {distinct({2, 4})});
}

TEST(Expand, GradientSumsOverExpandedAxes)
{
    EXPECT_GRADCHECK([](const tensor_list& in) { return expand(in[0], {2, 3, 4}); }, {distinct({3, 1})});
    EXPECT_GRADGRADCHECK([](const tensor_list& in) { return expand(in[0] * in[0], {2, 3}); }, {distinct({3})});
}

// ---- compositions ----

TEST(ShapeOps, ChainMatchesPyTorch)
{
    expect_matches_golden("shape_ops", "chain", 1,
                          [](const tensor_list& in) {
                              return squeeze(pad(transpose(unsqueeze(in[0], 0), 1, 2), {0, 1}), 0);
                          });
}

TEST(ShapeOps, ReshapeExpandNarrowSqueezeMatchPyTorch)
{
    expect_matches_golden("shape_ops", "reshape", 1, [](const tensor_list& in) { return reshape(in[0], {4, -1}); });
    expect_matches_golden("shape_ops", "expand", 1, [](const tensor_list& in) { return expand(in[0], {2, 3, 4}); });
    expect_matches_golden("shape_ops", "narrow", 1, [](const tensor_list& in) { return narrow(in[0], 1, 1, 2); });
    expect_matches_golden("shape_ops", "squeeze_unsqueeze", 1,
                          [](const tensor_list& in) { return unsqueeze(squeeze(in[0], 1), -1); });
}

TEST(ShapeOps, Float32GivesTheSameValuesAsFloat64)
{
    // Shape ops only move values, so float32 results are exactly the float64 ones rounded.
    const auto fn = [](const Tensor& x)
    {
        Tensor y = pad(permute(x, {1, 2, 0}), {1, -1, 0, 2}, 0.25); // (3, 6, 2)
        return cat({flatten(stack({y, y}, 1), 1), squeeze(unsqueeze(narrow(flatten(y, 1), 1, 2, 5), 0))}, 1);
    };
    Tensor x = distinct({2, 3, 4}).detach();
    Tensor y32 = fn(x.to(float32));
    EXPECT_EQ(y32.dtype(), float32);
    EXPECT_TENSOR_SHAPE(y32, {3, 29});
    EXPECT_TENSOR_NEAR(y32.to(float64), fn(x).to(float32).to(float64), 0.0, 0.0);
}
