// Data-parallel training of a tiny convolutional segmenter on synthetic images, one model
// replica per MPI rank:
//
//   mpirun -np 2 build/examples/distributed_train/distributed_train [--epochs 3] [--batch 8]
//          [--threads 1] [--out DIR] [--resume DIR/checkpoint.safetensors]
//
// Each rank reads its own shard of the samples (DistributedSampler, reshuffled per epoch),
// DistributedDataParallel averages the gradients, the epoch's loss and IoU are reduced over
// the ranks so every rank knows the global figure, and only rank 0 prints, writes
// metrics.csv and the checkpoint (which every rank can resume from). --threads sets each
// rank's BLAS threads (adjoint::set_num_threads): ranks x threads should not exceed the
// cores, or the ranks slow each other down. The data set is generated identically on every
// rank, so nothing but gradients and metrics travels between them.
#include <adjoint/adjoint.hpp>
#include <adjoint/layers/distributed/distributed.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

using namespace adjoint;
using namespace adjoint::optim;
namespace dist = adjoint::distributed;

namespace
{
    struct args
    {
        int epochs = 3;
        std::int64_t batch = 8;   // per rank
        int threads = 1;
        std::string out = ".";
        std::string resume;
    };

    args parse(int argc, char** argv)
    {
        args a;
        for (int i = 1; i < argc; ++i)
        {
            const std::string flag = argv[i];
            if (i + 1 >= argc)
            {
                throw std::invalid_argument("distributed_train: " + flag + " needs a value");
            }
            const std::string value = argv[++i];
            if (flag == "--epochs") a.epochs = std::stoi(value);
            else if (flag == "--batch") a.batch = std::stoll(value);
            else if (flag == "--threads") a.threads = std::stoi(value);
            else if (flag == "--out") a.out = value;
            else if (flag == "--resume") a.resume = value;
            else throw std::invalid_argument("distributed_train: unknown flag " + flag);
        }
        return a;
    }

    // 256 noisy 16x16 images, each with one brighter square; the target is its mask.
    struct dataset
    {
        Tensor images, masks;   // (256, 1, 16, 16) float32
    };
    dataset make_dataset()
    {
        constexpr std::int64_t n = 256, side = 16;
        manual_seed(2024);   // the same data on every rank
        Tensor noise = randn({n, 1, side, side}) * 0.5;
        std::vector<double> mask(static_cast<std::size_t>(n * side * side), 0.0);
        const auto corners = (rand({n, 2}) * 10.0).to_vector();
        for (std::int64_t s = 0; s < n; ++s)
        {
            const auto r0 = static_cast<std::int64_t>(corners[2 * s]), c0 = static_cast<std::int64_t>(corners[2 * s + 1]);
            for (std::int64_t r = r0; r < r0 + 6; ++r)
            {
                for (std::int64_t c = c0; c < c0 + 6; ++c)
                {
                    mask[static_cast<std::size_t>((s * side + r) * side + c)] = 1.0;
                }
            }
        }
        Tensor masks(array::from_values(mask, {n, 1, side, side}, float32));
        return {noise + masks * 1.5, masks};
    }

    Tensor rows(const Tensor& t, const std::vector<std::int64_t>& indices, std::size_t begin, std::size_t count)
    {
        tensor_list parts;
        for (std::size_t i = begin; i < begin + count; ++i)
        {
            parts.push_back(narrow(t, 0, indices[i], 1));
        }
        return cat(parts, 0);
    }

    std::shared_ptr<Sequential> make_model()
    {
        return std::make_shared<Sequential>(
            std::make_shared<Conv2d>(Conv2dOptions(1, 8, 3).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<Conv2d>(Conv2dOptions(8, 16, 3).stride(2).padding(1)), std::make_shared<ReLU>(),
            std::make_shared<ConvTranspose2d>(ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1)),
            std::make_shared<ReLU>(), std::make_shared<Conv2d>(Conv2dOptions(8, 1, 1)));
    }

    void train(const args& a)
    {
        dist::process_group group;
        set_num_threads(a.threads);
        const dataset data = make_dataset();
        auto model = make_model();
        Adam opt(model->parameters(), AdamOptions(1e-2));
        int first_epoch = 0;
        if (!a.resume.empty())
        {
            // Every rank reads the same file: same weights, same optimizer state, same epoch.
            const checkpoint ck = load_checkpoint(a.resume);
            model->load_state_dict(under_prefix(ck.tensors, "model"));
            opt.load_state_dict(under_prefix(ck.tensors, "optimizer"));
            first_epoch = std::stoi(ck.metadata.at("epoch")) + 1;
        }
        // Copies rank 0's weights to every rank (and checks the replicas match).
        dist::DistributedDataParallel ddp(*model, group);
        dist::DistributedSampler sampler(data.images.size(0), group.size(), group.rank(),
                                         dist::DistributedSamplerOptions().seed(7));
        if (dist::is_main_process())
        {
            std::cout << "distributed_train: " << group.size() << " ranks x " << a.threads << " thread(s), "
                      << sampler.num_samples() << " samples per rank per epoch, batch " << a.batch << " per rank\n";
        }
        std::ofstream csv;
        if (dist::is_main_process())
        {
            csv.open(a.out + "/metrics.csv", first_epoch > 0 ? std::ios::app : std::ios::trunc);
            if (first_epoch == 0)
            {
                csv << "epoch,loss,iou\n";
            }
        }
        for (int epoch = first_epoch; epoch < first_epoch + a.epochs; ++epoch)
        {
            sampler.set_epoch(epoch);
            const auto indices = sampler.indices();
            double loss_sum = 0.0;
            confusion_matrix cm(2);
            for (std::size_t b = 0; b + static_cast<std::size_t>(a.batch) <= indices.size();
                 b += static_cast<std::size_t>(a.batch))
            {
                const Tensor x = rows(data.images, indices, b, static_cast<std::size_t>(a.batch));
                const Tensor y = rows(data.masks, indices, b, static_cast<std::size_t>(a.batch));
                opt.zero_grad();
                const Tensor logits = (*model)(x);
                const Tensor loss = binary_cross_entropy_with_logits(logits, y);
                loss.backward();
                ddp.finish_gradient_sync();   // averaged gradients on every rank
                opt.step();
                loss_sum += loss.item() * static_cast<double>(a.batch);
                cm.update(binary_predictions_from_logits(logits.detach()), y.to(int64));
            }
            // The whole epoch's figures, identical on every rank.
            const auto loss = dist::all_reduce_sum(group, loss_sum, cm.total() / (16 * 16));
            dist::all_reduce(group, cm);
            if (dist::is_main_process())
            {
                std::cout << "epoch " << epoch << ": loss " << loss.mean() << ", IoU of the squares "
                          << cm.iou().to_vector()[1] << '\n';
                csv << epoch << ',' << loss.mean() << ',' << cm.iou().to_vector()[1] << '\n';
                metadata_map meta{{"epoch", std::to_string(epoch)}};
                named_tensors state = with_prefix(model->state_dict(), "model");
                for (auto& entry : with_prefix(opt.state_dict(), "optimizer"))
                {
                    state.push_back(entry);
                }
                save(state, a.out + "/checkpoint.safetensors", meta);
            }
        }
        group.barrier();   // the checkpoint is complete before any rank moves on
        if (dist::is_main_process())
        {
            std::cout << "wrote " << a.out << "/metrics.csv and " << a.out << "/checkpoint.safetensors\n";
        }
    }
}

int main(int argc, char** argv)
{
    // An exception that leaves main stops every rank (see mpi_environment).
    dist::mpi_environment env(argc, argv);
    train(parse(argc, argv));
    return 0;
}
