// libtorch_bench: conv_bench's whole-model cases (TinySeg, the small encoder-decoder) in
// libtorch's C++ frontend, the library a C++ user would otherwise pick: the same layers
// (bench/model_specs.hpp), relu between them, BCE with logits against a fixed random mask,
// Adam lr 1e-3; timed as an inference forward (no grad) and as a training step, one JSON
// line per case in conv_bench's format ("framework": "libtorch"), so bench/run.py pools
// them alike. Reads the cases from the JSON lines of `conv_bench --list` and runs the model
// ones. Built only where libtorch is found (Debian: libtorch-dev); compares nothing itself.
//
//   libtorch_bench --cases FILE [--threads N] [--warmup W] [--warmup-ms M] [--reps R] [--budget-ms B]
#include "model_specs.hpp"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
    struct options
    {
        std::string cases;
        int threads = 1, warmup = 3, reps = 20;
        double budget_ms = 1500, warmup_ms = 250;
    };

    options parse(int argc, char** argv)
    {
        options o;
        for (int i = 1; i < argc; ++i)
        {
            const std::string a = argv[i];
            if (i + 1 >= argc)
            {
                throw std::invalid_argument("libtorch_bench: " + a + " needs a value");
            }
            const std::string v = argv[++i];
            if (a == "--cases") o.cases = v;
            else if (a == "--threads") o.threads = std::stoi(v);
            else if (a == "--warmup") o.warmup = std::stoi(v);
            else if (a == "--warmup-ms") o.warmup_ms = std::stod(v);
            else if (a == "--reps") o.reps = std::stoi(v);
            else if (a == "--budget-ms") o.budget_ms = std::stod(v);
            else throw std::invalid_argument("libtorch_bench: unknown option " + a);
        }
        if (o.cases.empty() || o.threads < 1 || o.reps < 1 || o.warmup < 0 || !(o.warmup_ms >= 0))
        {
            throw std::invalid_argument("usage: libtorch_bench --cases FILE [--threads N >= 1] [--warmup W] [--warmup-ms M] "
                                        "[--reps R >= 1] [--budget-ms B]");
        }
        return o;
    }

    struct timing
    {
        std::vector<double> ms;
        double cpu_per_wall;
    };

    // As conv_bench: untimed runs until both `warmup` runs and warmup_ms have passed, then up
    // to reps timed ones (fewer when they would take longer than budget_ms), wall and CPU time.
    template <class F>
    timing time_runs(const options& o, F&& run)
    {
        double last = 0;
        const auto start = std::chrono::steady_clock::now();
        const auto warming = [&](int i) {
            return i < std::max(o.warmup, 1) ||
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < o.warmup_ms;
        };
        for (int i = 0; warming(i); ++i)
        {
            const auto t0 = std::chrono::steady_clock::now();
            run();
            last = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        }
        const int reps = o.budget_ms > 0 && last > 0 ? std::max(3, std::min(o.reps, static_cast<int>(o.budget_ms / last)))
                                                     : o.reps;
        timing t;
        double wall = 0, cpu = 0;
        for (int i = 0; i < reps; ++i)
        {
            const std::clock_t c0 = std::clock();
            const auto t0 = std::chrono::steady_clock::now();
            run();
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            cpu += 1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
            wall += ms;
            t.ms.push_back(ms);
        }
        t.cpu_per_wall = wall > 0 ? cpu / wall : 0;
        return t;
    }

    struct model
    {
        torch::nn::Sequential net;
        torch::Tensor x, target;
        std::unique_ptr<torch::optim::Adam> adam;

        model(const std::string& name, std::int64_t n, std::int64_t h)
        {
            const auto layers = bench_specs::model_layers(name);
            for (std::size_t i = 0; i < layers.size(); ++i)
            {
                const auto& l = layers[i];
                if (l.transpose)
                {
                    net->push_back(torch::nn::ConvTranspose2d(
                        torch::nn::ConvTranspose2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding)));
                }
                else
                {
                    net->push_back(torch::nn::Conv2d(
                        torch::nn::Conv2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding)));
                }
                if (i + 1 < layers.size())
                {
                    net->push_back(torch::nn::ReLU());
                }
            }
            x = torch::randn({n, layers.front().in, h, h});
            {
                torch::NoGradGuard no_grad;
                target = (torch::rand(net->forward(x).sizes()) > 0.5).to(torch::kFloat);
            }
            adam = std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(1e-3));
        }

        void infer()
        {
            torch::NoGradGuard no_grad;
            net->forward(x);
        }

        void train_step()
        {
            adam->zero_grad();
            torch::binary_cross_entropy_with_logits(net->forward(x), target).backward();
            adam->step();
        }
    };
}

int main(int argc, char** argv)
{
    try
    {
        const options o = parse(argc, argv);
        torch::set_num_threads(o.threads);
        torch::manual_seed(0);
        std::ifstream in(o.cases);
        if (!in)
        {
            throw std::runtime_error("libtorch_bench: cannot read " + o.cases);
        }
        for (std::string line; std::getline(in, line);)
        {
            const nlohmann::json c = nlohmann::json::parse(line);
            const std::string name = c.value("model", "");
            if (name.empty())
            {
                continue;   // a single-layer case: conv_bench's and PyTorch's business
            }
            const auto input = c.at("input").get<std::vector<std::int64_t>>();
            model m(name, input.at(0), input.at(2));
            const timing fwd = time_runs(o, [&] { m.infer(); });
            const timing both = time_runs(o, [&] { m.train_step(); });
            const nlohmann::json out = {{"framework", "libtorch"},   {"mode", "time"},
                                        {"case", c.at("name")},      {"threads", o.threads},
                                        {"torch_threads", torch::get_num_threads()},
                                        {"fwd_ms", fwd.ms},          {"fwdbwd_ms", both.ms},
                                        {"fwd_cpu_per_wall", fwd.cpu_per_wall},
                                        {"fwdbwd_cpu_per_wall", both.cpu_per_wall}};
            std::cout << out.dump() << std::endl;
        }
    }
    catch (const std::exception& e)
    {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
