// Array values as text (see print.hpp). One walk over the shown elements finds the number
// format; a second, the same walk, lays the text out.
#include <adjoint/core/print.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace adjoint
{
    namespace
    {
        // Positions shown along an axis of length n: all of them, or the edges with -1
        // standing for the "..." between.
        std::vector<std::int64_t> shown(std::int64_t n, bool summarise, std::int64_t edge)
        {
            std::vector<std::int64_t> idx;
            const bool cut = summarise && n > 2 * edge;
            for (std::int64_t i = 0; i < n; ++i)
            {
                if (cut && i == edge)
                {
                    idx.push_back(-1);
                    i = n - edge;
                }
                idx.push_back(i);
            }
            return idx;
        }

        // One format for every element, chosen as PyTorch does: scientific when the shown
        // finite nonzero magnitudes span more than 1000x or leave [1e-4, 1e8].
        struct number_format
        {
            bool scientific = false;
            int precision = 4;
            std::size_t width = 0;

            std::string operator()(double v) const
            {
                if (std::isnan(v))
                {
                    return "nan";
                }
                if (std::isinf(v))
                {
                    return v > 0 ? "inf" : "-inf";
                }
                char buf[64];
                std::snprintf(buf, sizeof buf, scientific ? "%.*e" : "%.*f", precision, v);
                return buf;
            }
        };

        struct printer
        {
            const array& a;
            const print_options& opt;
            bool summarise;
            shape_t strides;
            number_format fmt;

            // The text of the element at a flat offset: int64 values exactly, as integers
            // (through double they would round above 2^53).
            std::string text(std::int64_t offset) const
            {
                if (a.dtype() == int64)
                {
                    return std::to_string(a.data<std::int64_t>()[offset]);
                }
                return fmt(a.flat(offset));
            }

            std::string padded(std::int64_t offset) const
            {
                const std::string s = text(offset);
                return std::string(fmt.width > s.size() ? fmt.width - s.size() : 0, ' ') + s;
            }

            // Calls f(offset) for each shown element, in row-major order.
            void each_offset(std::size_t axis, std::int64_t offset, const std::function<void(std::int64_t)>& f) const
            {
                if (axis == a.shape().size())
                {
                    f(offset);
                    return;
                }
                for (auto i : shown(a.shape()[axis], summarise, opt.edge_items))
                {
                    if (i >= 0)
                    {
                        each_offset(axis + 1, offset + i * strides[axis], f);
                    }
                }
            }

            void each_shown(const std::function<void(double)>& f) const
            {
                each_offset(0, 0, [&](std::int64_t offset) { f(a.flat(offset)); });
            }

            void choose_format()
            {
                double lo = INFINITY, hi = 0.0;
                each_shown([&](double v) {
                    if (std::isfinite(v) && v != 0.0)
                    {
                        lo = std::min(lo, std::abs(v));
                        hi = std::max(hi, std::abs(v));
                    }
                });
                fmt.precision = opt.precision;
                fmt.scientific = hi > 0.0 && (hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4);
                each_offset(0, 0, [&](std::int64_t at) { fmt.width = std::max(fmt.width, text(at).size()); });
            }

            // The sub-array at `offset` spanning axes [axis, ndim), its bracket at column `indent`.
            std::string block(std::size_t axis, std::int64_t offset, std::int64_t indent) const
            {
                const std::size_t rest = a.shape().size() - axis;   // dimensions of this block
                std::vector<std::string> items;
                for (auto i : shown(a.shape()[axis], summarise, opt.edge_items))
                {
                    if (i < 0)
                    {
                        items.push_back(rest == 1 ? " ..." : "...");
                    }
                    else
                    {
                        const std::int64_t at = offset + i * strides[axis];
                        items.push_back(rest == 1 ? padded(at) : block(axis + 1, at, indent + 1));
                    }
                }
                const std::string margin(static_cast<std::size_t>(indent + 1), ' ');
                std::string out = "[";
                if (rest == 1)
                {
                    // Vectors fill lines of equal-width elements, each taking width + ", ".
                    const auto per_line = std::max<std::int64_t>(
                        1, (opt.line_width - indent) / static_cast<std::int64_t>(fmt.width + 2));
                    for (std::size_t k = 0; k < items.size(); ++k)
                    {
                        if (k > 0)
                        {
                            out += k % static_cast<std::size_t>(per_line) == 0 ? ",\n" + margin : ", ";
                        }
                        out += items[k];
                    }
                }
                else
                {
                    // Blocks of d dimensions are separated by d - 1 blank lines' worth of newlines.
                    const std::string sep = "," + std::string(rest - 1, '\n') + margin;
                    for (std::size_t k = 0; k < items.size(); ++k)
                    {
                        out += (k ? sep : "") + items[k];
                    }
                }
                return out + "]";
            }
        };
    }

    std::string format_values(const array& a, std::int64_t indent, const print_options& options)
    {
        if (a.numel() == 0)
        {
            return "[]";
        }
        printer p{a, options, a.numel() > options.threshold, contiguous_strides(a.shape()), {}};
        p.choose_format();
        if (a.dim() == 0)
        {
            return p.text(0);
        }
        return p.block(0, 0, indent);
    }
}
