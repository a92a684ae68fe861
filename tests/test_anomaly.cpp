// Anomaly mode (autograd/anomaly.hpp): the first NaN or Inf in a forward result or in a
// gradient a backward returns raises anomaly_error naming the op, its input's producer and
// the layer; with the mode off nothing is checked.
#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>

using namespace adjoint;

namespace
{
    // Layers that apply one elementwise op, so a model can hold it under a dotted path.
    class Log : public Module
    {
    public:
        std::string type_name() const override { return "Log"; }
        Tensor forward(const Tensor& x) { return guarded([&] { return log(x); }); }
    };
    class Sqrt : public Module
    {
    public:
        std::string type_name() const override { return "Sqrt"; }
        Tensor forward(const Tensor& x) { return guarded([&] { return sqrt(x); }); }
    };

    // decoder = Sequential(Conv2d(1, 1, 1, bias=false) with weight -1, <last>): the
    // convolution negates its input, so the last layer sees only values <= 0.
    template <class Last>
    class Net : public Module
    {
    public:
        Net()
        {
            auto conv = std::make_shared<Conv2d>(Conv2dOptions(1, 1, 1).bias(false));
            {
                no_grad_guard off;
                conv->weight().fill_(-1.0);
            }
            m_decoder = register_module("decoder", std::make_shared<Sequential>(conv, std::make_shared<Last>()));
        }
        std::string type_name() const override { return "Net"; }
        Tensor forward(const Tensor& x) { return guarded([&] { return m_decoder->forward(x); }); }

    private:
        std::shared_ptr<Sequential> m_decoder;
    };
}

TEST(Anomaly, OffByDefault) { EXPECT_FALSE(is_anomaly_enabled()); }

TEST(Anomaly, GuardRestoresThePreviousSetting)
{
    {
        detect_anomaly_guard on;
        EXPECT_TRUE(is_anomaly_enabled());
        {
            detect_anomaly_guard off(false);
            EXPECT_FALSE(is_anomaly_enabled());
        }
        EXPECT_TRUE(is_anomaly_enabled());
    }
    EXPECT_FALSE(is_anomaly_enabled());
    set_detect_anomaly(true);
    EXPECT_TRUE(is_anomaly_enabled());
    set_detect_anomaly(false);
}

TEST(Anomaly, LogOfANegativeInAModelNamesTheOpItsInputAndTheLayer)
{
    Net<Log> net;
    const Tensor x = ones({1, 1, 2, 2});
    detect_anomaly_guard on;
    EXPECT_THROW_MESSAGE(anomaly_error,
                         "anomaly: 'log' produced NaN (4 of 4 values, the first at flat index 0) in its forward "
                         "result of shape (1, 1, 2, 2) in layer decoder.1 (Log); input 0 was produced by 'conv2d'",
                         net.forward(x));
}

TEST(Anomaly, AnInputThatAlreadyHoldsANanIsSaidSo)
{
    const Tensor x = Tensor(array::from_values({1.0, std::nan("")}, {2}, float64)).requires_grad_();
    detect_anomaly_guard on;
    EXPECT_THROW_MESSAGE(anomaly_error,
                         "anomaly: 'exp' produced NaN (1 of 2 values, the first at flat index 1) in its forward "
                         "result of shape (2,) outside any layer of a model; input 0 was produced by a leaf (a "
                         "parameter or an input with requires_grad) and already held NaN/Inf",
                         exp(x));
}

TEST(Anomaly, ForwardIsCheckedWithoutGradToo)
{
    no_grad_guard no_grad;
    detect_anomaly_guard on;
    EXPECT_THROW_MESSAGE(anomaly_error,
                         "anomaly: 'div' produced Inf (1 of 1 values, the first at flat index 0) in its forward "
                         "result of shape (1,) outside any layer of a model; input 0 was produced by no recorded op "
                         "(a leaf, or computed without grad), input 1 was produced by no recorded op (a leaf, or "
                         "computed without grad)",
                         ones({1}) / zeros({1}));
}

TEST(Anomaly, InfiniteGradientOfSqrtAtZeroIsCaughtInBackward)
{
    const Tensor x = zeros({2}, float64).requires_grad_();
    detect_anomaly_guard on;
    const Tensor y = sum(sqrt(x));   // sqrt(0) = 0: the forward is finite
    EXPECT_THROW_MESSAGE(anomaly_error,
                         "anomaly: the backward of 'sqrt' returned Inf (2 of 2 values, the first at flat index 0) in "
                         "the gradient for input 0 of shape (2,); that input was produced by a leaf (a parameter or an "
                         "input with requires_grad); the forward of 'sqrt' ran outside any layer of a model",
                         y.backward());
}

TEST(Anomaly, BackwardNamesTheLayerTheForwardRanIn)
{
    Net<Sqrt> net;
    const Tensor x = zeros({1, 1, 1, 2}).requires_grad_();
    detect_anomaly_guard on;
    const Tensor y = sum(net.forward(x));
    EXPECT_THROW_MESSAGE(anomaly_error,
                         "anomaly: the backward of 'sqrt' returned Inf (2 of 2 values, the first at flat index 0) in "
                         "the gradient for input 0 of shape (1, 1, 1, 2); that input was produced by 'conv2d'; the "
                         "forward of 'sqrt' ran in layer decoder.1 (Sqrt)",
                         y.backward());
}

TEST(Anomaly, OffMeansNoErrorAndTheNonFiniteValuesFlowThrough)
{
    Net<Log> net;
    const Tensor y = net.forward(ones({1, 1, 2, 2}));
    EXPECT_TRUE(std::isnan(y.data().flat(0)));
    const Tensor x = zeros({2}, float64).requires_grad_();
    sum(sqrt(x)).backward();
    EXPECT_TRUE(std::isinf(x.grad().data().flat(0)));
}

TEST(Anomaly, FiniteTrainingStepRaisesNothing)
{
    detect_anomaly_guard on;
    const Tensor w = randn({3, 2}, float64).requires_grad_();
    const Tensor loss = mean(sigmoid(matmul(randn({4, 3}, float64), w)));
    loss.backward();
    EXPECT_TRUE(w.grad().defined());
}
