// Printing: the exact text of small tensors, the metadata suffix (shape, dtype, grad_fn or
// requires_grad), and value layouts compared with PyTorch's own printing
// (tests/fixtures/generate_print.py), including wrapped lines and "..." summaries.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

using namespace adjoint;

namespace
{
    std::string pytorch_text(const std::string& name)
    {
        const std::string path = std::string(ADJOINT_FIXTURES) + "/print/" + name + ".txt";
        std::ifstream in(path);
        if (!in)
        {
            ADD_FAILURE() << "missing fixture " << path;
            return "<missing>";
        }
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    // What adjoint prints for t, without the "tensor(" and the metadata suffix.
    std::string values_text(const Tensor& t)
    {
        const std::string s = to_string(t);
        const std::string suffix =
            detail::str(", shape=", shape_str(t.shape()), ", dtype=", dtype_name(t.dtype()), ")");
        EXPECT_EQ(s.rfind("tensor(", 0), 0u) << s;
        EXPECT_EQ(s.substr(s.size() - std::min(s.size(), suffix.size())), suffix) << s;
        return s.substr(7, s.size() - 7 - std::min(s.size() - 7, suffix.size()));
    }
}

TEST(Print, SmallMatrixWithEveryDetail)
{
    Tensor x = tensor({{1, 2}, {3, 4}}, float64).requires_grad_();
    EXPECT_EQ(to_string(x), "tensor([[1.0000, 2.0000],\n"
                            "        [3.0000, 4.0000]], shape=(2, 2), dtype=float64, requires_grad=true)");
    Tensor y = permute(x, {1, 0});
    EXPECT_EQ(to_string(y), "tensor([[1.0000, 3.0000],\n"
                            "        [2.0000, 4.0000]], shape=(2, 2), dtype=float64, grad_fn=<permute>)");
    EXPECT_EQ(to_string(y.detach()), "tensor([[1.0000, 3.0000],\n"
                                     "        [2.0000, 4.0000]], shape=(2, 2), dtype=float64)");
}

TEST(Print, StreamOperatorGivesTheSameText)
{
    Tensor x = tensor({0.5, -1.5});
    std::ostringstream out;
    out << x;
    EXPECT_EQ(out.str(), to_string(x));
    EXPECT_EQ(out.str(), "tensor([ 0.5000, -1.5000], shape=(2,), dtype=float32)");
}

TEST(Print, ScalarsEmptyAndUndefined)
{
    EXPECT_EQ(to_string(scalar(3.25)), "tensor(3.2500, shape=(), dtype=float32)");
    EXPECT_EQ(to_string(zeros({0, 3}, float64)), "tensor([], shape=(0, 3), dtype=float64)");
    EXPECT_EQ(to_string(Tensor()), "tensor(undefined)");
    EXPECT_EQ(to_string(tensor({-0.0, 0.0})), "tensor([-0.0000,  0.0000], shape=(2,), dtype=float32)");
}

TEST(Print, Float32PrintsItsRoundedValue)
{
    // 0.1f is 0.100000001490116...: four decimals hide the rounding, as in PyTorch.
    EXPECT_EQ(to_string(tensor({0.1, 2.0 / 3.0})), "tensor([0.1000, 0.6667], shape=(2,), dtype=float32)");
}

TEST(Print, MatchesPyTorchLayouts)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(values_text(tensor({{1.5, -2.25}, {3.125, 4.0625}}, float64)), pytorch_text("matrix"));
    EXPECT_EQ(values_text(reshape(arange(8.0, float64), {2, 2, 2}) + 0.5), pytorch_text("cube"));
    EXPECT_EQ(values_text(arange(30.0, float64) * 1.5 + 0.25), pytorch_text("wrapped_vector"));
    EXPECT_EQ(values_text(tensor({-1.25, 100.5, 3.5}, float64)), pytorch_text("mixed_signs"));
    EXPECT_EQ(values_text(tensor({1.5e-5, 1.5}, float64)), pytorch_text("scientific"));
    EXPECT_EQ(values_text(tensor({1.5, nan, inf, -inf}, float64)), pytorch_text("special_values"));
    EXPECT_EQ(values_text(scalar(3.25, float64)), pytorch_text("scalar"));
}

TEST(Print, SummarisesLargeTensorsLikePyTorch)
{
    EXPECT_EQ(values_text(arange(2000.0, float64) * 0.5 + 0.25), pytorch_text("summarised_vector"));
    EXPECT_EQ(values_text(reshape(arange(2000.0, float64), {40, 50}) + 0.5), pytorch_text("summarised_matrix"));
    EXPECT_EQ(values_text(reshape(arange(1200.0, float64), {12, 10, 10}) * 0.5 + 0.25),
              pytorch_text("summarised_3d"));
}

TEST(Print, ThresholdIsOneThousandElements)
{
    const std::string at = to_string(arange(1000.0) + 100.5);
    const std::string over = to_string(arange(1001.0) + 100.5);
    EXPECT_EQ(at.find("..."), std::string::npos);
    EXPECT_NE(at.find("600.5000"), std::string::npos);
    EXPECT_NE(over.find(" ..."), std::string::npos);
    EXPECT_EQ(over.find("600.5000"), std::string::npos);   // the middle is left out
    EXPECT_NE(over.find("1100.5000"), std::string::npos);   // the edges stay
}
