// The cross-rank reductions of layers/distributed/metrics.hpp.
#include <adjoint/autograd/grad_mode.hpp>
#include <adjoint/layers/distributed/metrics.hpp>

#include <limits>

namespace adjoint::distributed
{
    void all_reduce(const process_group& group, confusion_matrix& m)
    {
        Tensor counts = m.counts();   // a fresh int64 buffer: summed in place
        group.all_reduce(counts, reduce_op::sum);
        m.reset();
        m.merge(counts);
    }

    double reduced_sum::mean() const
    {
        return count == 0 ? std::numeric_limits<double>::quiet_NaN() : total / static_cast<double>(count);
    }

    reduced_sum all_reduce_sum(const process_group& group, double local_total, std::int64_t local_count)
    {
        // The count travels as int64, so it stays exact however many samples there are.
        Tensor total = Tensor(array::full({1}, local_total, float64));
        Tensor count = Tensor(array::full({1}, static_cast<double>(local_count), int64));
        group.all_reduce(total, reduce_op::sum);
        group.all_reduce(count, reduce_op::sum);
        return {total.item(), static_cast<std::int64_t>(count.data().data<std::int64_t>()[0])};
    }
}
