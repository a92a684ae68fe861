// toy_segmentation --distributed, run as `mpiexec -n 2` jobs beside runs alone: two ranks
// train the same run as one process (the same losses and IoU, epoch by epoch, also when a
// step's batch does not split evenly), a checkpoint written alone resumes on two ranks,
// only rank 0 prints and writes, and a failure on the ranks stops the job with its message.
#include "program_runs.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace
{
    using namespace toy_segmentation_tests;

    run_output alone(const std::string& args, const fs::path& dir) { return run_program("", args, dir); }
    run_output on_two_ranks(const std::string& args, const fs::path& dir)
    {
        return run_program(TOY_SEGMENTATION_MPIEXEC, "--distributed " + args, dir);
    }

    // metrics.csv's rows as numbers (header dropped).
    std::vector<std::vector<double>> metrics(const fs::path& file)
    {
        std::istringstream in(read_file(file));
        std::vector<std::vector<double>> rows;
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line))
        {
            std::vector<double> row;
            std::istringstream fields(line);
            for (std::string f; std::getline(fields, f, ',');)
            {
                row.push_back(std::strtod(f.c_str(), nullptr));
            }
            rows.push_back(row);
        }
        return rows;
    }

    std::size_t count(const std::string& text, const std::string& what)
    {
        std::size_t n = 0;
        for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        {
            ++n;
        }
        return n;
    }

    // Columns: epoch, train_loss, val_loss, val_iou, val_dice, seconds, per-class IoU. Two
    // ranks sum in another order than one process (float32), so equal within 1e-3, not bit
    // for bit; every column but the seconds.
    void expect_same_run(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b)
    {
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t e = 0; e < a.size(); ++e)
        {
            ASSERT_EQ(a[e].size(), b[e].size());
            for (std::size_t c = 0; c < a[e].size(); ++c)
            {
                if (c != 5)
                {
                    EXPECT_NEAR(a[e][c], b[e][c], 1e-3) << "epoch " << e + 1 << ", column " << c;
                }
            }
        }
    }

    // Learns within seconds: 4 epochs of 24 steps reach a validation IoU near 0.7.
    const std::string quick = "--image-size 32 --train-size 96 --val-size 16 --threads 1 --warmup-steps 0 --lr 3e-3 ";
}

TEST(ToySegmentationDistributed, TwoRanksTrainTheRunOfOneProcess)
{
    const fs::path one = work_dir("distributed/one"), two = work_dir("distributed/two");
    const std::string args = quick + "--epochs 4 --batch-size 4 --out ";
    const run_output a = alone(args + one.string(), one);
    ASSERT_EQ(a.status, 0) << a.err;
    const run_output b = on_two_ranks(args + two.string(), two);
    ASSERT_EQ(b.status, 0) << b.err;

    const auto ma = metrics(one / "metrics.csv"), mb = metrics(two / "metrics.csv");
    expect_same_run(ma, mb);
    ASSERT_EQ(mb.size(), 4u);
    EXPECT_GT(mb.back()[3], 0.5) << "the run did not learn: validation IoU " << mb.back()[3];
    // Rank 0 alone reports and writes.
    EXPECT_NE(b.out.find("2 ranks x 1 thread(s), 2 images per rank per step"), std::string::npos) << b.out;
    EXPECT_EQ(count(b.out, "trained 4 epochs in"), 1u) << b.out;
    EXPECT_EQ(count(b.out, "validation loss"), 4u) << b.out;
    EXPECT_TRUE(fs::exists(two / "last.safetensors"));
    EXPECT_TRUE(fs::exists(two / "montage.png"));
}

TEST(ToySegmentationDistributed, UnevenPartsAreWeightedToTheWholeBatch)
{
    // Batches of 3 on 2 ranks: parts of 1 and 2 images, the mean of their gradients weighted 1:2.
    const fs::path one = work_dir("distributed/uneven_one"), two = work_dir("distributed/uneven_two");
    const std::string args = quick + "--epochs 2 --batch-size 3 --out ";
    ASSERT_EQ(alone(args + one.string(), one).status, 0);
    const run_output b = on_two_ranks(args + two.string(), two);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_NE(b.out.find("2 ranks x 1 thread(s), 1-2 images per rank per step"), std::string::npos) << b.out;
    expect_same_run(metrics(one / "metrics.csv"), metrics(two / "metrics.csv"));
}

TEST(ToySegmentationDistributed, ACheckpointWrittenAloneResumesOnTwoRanks)
{
    const fs::path whole = work_dir("distributed/resume_whole"), split = work_dir("distributed/resume_split");
    const std::string args = quick + "--batch-size 4 --out ";
    ASSERT_EQ(alone(args + whole.string() + " --epochs 3", whole).status, 0);
    ASSERT_EQ(alone(args + split.string() + " --epochs 2", split).status, 0);
    const run_output b = on_two_ranks(args + split.string() + " --epochs 3 --resume", split);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(count(b.out, "resuming from "), 1u) << b.out;
    expect_same_run(metrics(whole / "metrics.csv"), metrics(split / "metrics.csv"));
}

TEST(ToySegmentationDistributed, AFailureStopsEveryRankWithItsMessage)
{
    const fs::path dir = work_dir("distributed/failure");
    const run_output r = on_two_ranks(quick + "--epochs 1 --resume --out " + dir.string(), dir);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("adjoint.distributed: rank "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(": toy_segmentation: --resume: no checkpoint at " + (dir / "last.safetensors").string()),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir / "metrics.csv"));

    const run_output few = on_two_ranks(quick + "--epochs 1 --batch-size 1 --out " + dir.string(), dir);
    EXPECT_NE(few.status, 0);
    EXPECT_NE(few.err.find("toy_segmentation: --batch-size: at least one image per rank, got 1 for 2 ranks"),
              std::string::npos)
        << few.err;
}

TEST(ToySegmentationDistributed, OnlyTrainingRunsDistributed)
{
    const fs::path dir = work_dir("distributed/usage");
    const run_output r = alone("--distributed --write-dataset " + dir.string(), dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("toy_segmentation: --distributed is for training; --predict, --dump-validation and "
                         "--write-dataset run alone"),
              std::string::npos)
        << r.err;
}
