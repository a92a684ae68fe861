// xtensor interop: values and shapes survive the round trip, dtypes follow the element type
// (or an explicit dtype), layouts and lazy expressions arrive row-major, and a tensor made
// from xtensor takes part in autograd like any leaf.
#include <adjoint/adjoint.hpp>
#include <adjoint/autograd/xtensor_interop.hpp>
#include <adjoint/testing/testing.hpp>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

using namespace adjoint;

TEST(XtensorInterop, RoundTripKeepsShapeValuesAndDtype)
{
    xt::xarray<double> x = {{1.5, -2.0, 3.25}, {4.0, 5.5, -6.75}};
    Tensor t = from_xtensor(x);
    EXPECT_EQ(t.dtype(), float64);
    EXPECT_TENSOR_NEAR(t, tensor({{1.5, -2.0, 3.25}, {4.0, 5.5, -6.75}}, float64), 0.0, 0.0);
    EXPECT_FALSE(t.requires_grad());
    const xt::xarray<double> back = to_xtensor<double>(t);
    EXPECT_EQ(back, x);
    EXPECT_EQ(back.shape(), x.shape());

    xt::xarray<float> f = {0.5f, 0.25f};
    Tensor tf = from_xtensor(f);
    EXPECT_EQ(tf.dtype(), float32);
    EXPECT_EQ(to_xtensor<float>(tf), f);
}

TEST(XtensorInterop, ExplicitDtypeAndConversions)
{
    xt::xarray<int> i = {{1, 2}, {3, 4}};
    Tensor t = from_xtensor(i);   // integers have no dtype of their own: float64
    EXPECT_EQ(t.dtype(), float64);
    EXPECT_TENSOR_NEAR(t, tensor({{1, 2}, {3, 4}}, float64), 0.0, 0.0);
    EXPECT_EQ(from_xtensor(i, float32).dtype(), float32);
    // Reading float values as int truncates towards zero, as static_cast does.
    const xt::xarray<int> truncated = to_xtensor<int>(tensor({1.75, -1.75}));
    EXPECT_EQ(truncated, (xt::xarray<int>{1, -1}));
    // A float64 tensor read as float is rounded.
    EXPECT_EQ(to_xtensor<float>(tensor({0.1}, float64))(0), 0.1f);
}

TEST(XtensorInterop, LayoutsAndExpressionsArriveRowMajor)
{
    xt::xarray<double, xt::layout_type::column_major> c = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    EXPECT_EQ(from_xtensor(c).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    xt::xtensor<double, 2> fixed = {{1.0, 2.0}, {3.0, 4.0}};
    EXPECT_TENSOR_NEAR(from_xtensor(fixed), tensor({{1, 2}, {3, 4}}, float64), 0.0, 0.0);
    // A lazy expression is evaluated on the way in.
    Tensor lazy = from_xtensor(xt::arange<double>(6.0) * 2.0 + 1.0);
    EXPECT_TENSOR_NEAR(lazy, tensor({1, 3, 5, 7, 9, 11}, float64), 0.0, 0.0);
}

TEST(XtensorInterop, ScalarsAndEmpty)
{
    xt::xarray<double> s = 2.5;   // 0-d
    Tensor t = from_xtensor(s);
    EXPECT_TENSOR_SHAPE(t, {});
    EXPECT_EQ(t.item(), 2.5);
    EXPECT_EQ(to_xtensor<double>(scalar(4.0, float64)).dimension(), 0u);
    EXPECT_EQ(to_xtensor<double>(scalar(4.0, float64))(), 4.0);
    Tensor e = from_xtensor(xt::xarray<double>::from_shape({0, 3}));
    EXPECT_TENSOR_SHAPE(e, {0, 3});
    EXPECT_EQ(to_xtensor<double>(zeros({2, 0})).shape(), (std::vector<std::size_t>{2, 0}));
}

TEST(XtensorInterop, TensorsFromXtensorTakePartInAutograd)
{
    xt::xarray<double> x = {1.0, 2.0, 3.0};
    Tensor w = from_xtensor(x, /*requires_grad=*/true);
    EXPECT_TRUE(w.requires_grad());
    sum(w * w).backward();
    EXPECT_EQ(to_xtensor<double>(w.grad()), (xt::xarray<double>{2.0, 4.0, 6.0}));
    // The values are copied: changing the xarray afterwards leaves the tensor alone.
    x(0) = 100.0;
    EXPECT_EQ(w.to_vector()[0], 1.0);
}

TEST(XtensorInterop, UndefinedTensorIsAnError)
{
    EXPECT_THROW(to_xtensor<double>(Tensor()), std::logic_error);
    try
    {
        to_xarray<double>(array());
        FAIL() << "expected std::invalid_argument";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_EQ(std::string(e.what()), "to_xarray: expected a defined array, got an undefined one");
    }
}
