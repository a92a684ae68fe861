// Metrics reduced across ranks, so every rank reports the global figure: a confusion
// matrix's raw counts summed (then IoU, Dice and accuracy are the whole data set's, never a
// mean of per-rank means), and a running loss total with its sample count. Not here: the
// metrics themselves (layers/metrics.hpp).
#pragma once
#include <adjoint/layers/distributed/process_group.hpp>
#include <adjoint/layers/metrics.hpp>

#include <cstdint>

namespace adjoint::distributed
{
    // Replaces m's counts with their sum over all ranks (a collective: every rank calls it).
    void all_reduce(const process_group& group, confusion_matrix& m);

    // Sums of a per-sample quantity over all ranks: a loss summed over the samples a rank saw
    // and how many it saw; mean() is the global mean (NaN for no sample at all).
    struct reduced_sum
    {
        double total = 0.0;
        std::int64_t count = 0;
        double mean() const;
    };
    reduced_sum all_reduce_sum(const process_group& group, double local_total, std::int64_t local_count);
}
