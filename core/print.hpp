// The text of an array's values in PyTorch's layout: nested brackets, one number format
// shared by all shown elements (fixed point, or scientific when magnitudes span too much),
// lines wrapped at a width and "..." summaries of large arrays. The "tensor(" wrapper,
// shape, dtype and graph details are added by autograd/print.cpp.
#pragma once
#include <adjoint/core/array.hpp>

#include <string>

namespace adjoint
{
    struct print_options
    {
        int precision = 4;                // digits after the point
        std::int64_t threshold = 1000;    // arrays with more elements than this are summarised
        std::int64_t edge_items = 3;      // elements kept at each end of a summarised axis
        std::int64_t line_width = 80;     // vectors wrap before this column
    };

    // "[[1.0000, 2.0000],\n <indent spaces>[3.0000, 4.0000]]"; `indent` is the column the
    // opening bracket sits at (the width of whatever is printed before it on the first line).
    // A 0-d array gives its bare value, an empty one "[]".
    std::string format_values(const array& a, std::int64_t indent, const print_options& options = {});
}
