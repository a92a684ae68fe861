// Text views of a model: the PyTorch-style tree (operator<<) and summary()'s table.
#include <adjoint/layers/module.hpp>
#include <adjoint/layers/summary.hpp>

#include <algorithm>
#include <ostream>
#include <sstream>

namespace adjoint
{
    namespace
    {
        // "Type(extra)" for a leaf; with children, one "(name): child" line each, indented
        // by two spaces per level, as torch.nn.Module.__repr__.
        std::string repr(const Module& m)
        {
            const auto kids = m.named_children();
            const std::string extra = m.extra_repr();
            if (kids.empty())
            {
                return m.type_name() + "(" + extra + ")";
            }
            std::string out = m.type_name() + "(\n";
            if (!extra.empty())
            {
                out += "  " + extra + "\n";
            }
            for (const auto& [name, child] : kids)
            {
                std::string text = repr(*child);
                std::string indented;
                for (char c : text)
                {
                    indented += c;
                    if (c == '\n')
                    {
                        indented += "  ";
                    }
                }
                out += "  (" + name + "): " + indented + "\n";
            }
            return out + ")";
        }

        std::string with_commas(std::int64_t n)
        {
            std::string digits = std::to_string(n), out;
            for (std::size_t i = 0; i < digits.size(); ++i)
            {
                if (i > 0 && (digits.size() - i) % 3 == 0)
                {
                    out += ',';
                }
                out += digits[i];
            }
            return out;
        }
    }

    std::string to_string(const Module& module) { return repr(module); }

    std::ostream& operator<<(std::ostream& out, const Module& module) { return out << repr(module); }

    namespace detail
    {
        std::string format_summary(const Module& model, const shape_t& input_shape, const shape_t& output_shape,
                                   const std::vector<summary_row>& rows)
        {
            std::vector<std::vector<std::string>> cells{{"Layer", "Type", "Output shape", "Params"}};
            for (const auto& r : rows)
            {
                cells.push_back({r.name.empty() ? "(root)" : r.name, r.type, shape_str(r.output_shape),
                                 with_commas(r.parameters)});
            }
            std::vector<std::size_t> width(4, 0);
            for (const auto& row : cells)
            {
                for (std::size_t c = 0; c < 4; ++c)
                {
                    width[c] = std::max(width[c], row[c].size());
                }
            }
            std::int64_t total = 0, trainable = 0;
            for (const auto& p : model.parameters())
            {
                total += p.numel();
                trainable += p.requires_grad() ? p.numel() : 0;
            }
            std::ostringstream out;
            std::size_t line_width = width[0] + width[1] + width[2] + width[3] + 6;
            out << model.type_name() << " on input " << shape_str(input_shape) << "\n";
            out << std::string(line_width, '-') << "\n";
            for (std::size_t i = 0; i < cells.size(); ++i)
            {
                const auto& row = cells[i];
                out << row[0] << std::string(width[0] - row[0].size() + 2, ' ') << row[1]
                    << std::string(width[1] - row[1].size() + 2, ' ') << row[2]
                    << std::string(width[2] - row[2].size() + 2, ' ') << std::string(width[3] - row[3].size(), ' ')
                    << row[3] << "\n";
                if (i == 0)
                {
                    out << std::string(line_width, '-') << "\n";
                }
            }
            out << std::string(line_width, '-') << "\n";
            out << "Output shape: " << shape_str(output_shape) << "\n";
            out << "Total params: " << with_commas(total) << "\n";
            out << "Trainable params: " << with_commas(trainable) << "\n";
            return out.str();
        }
    }
}
