// The rasteriser of plot.hpp: maps data to pixels, draws lines with Bresenham's algorithm
// (two pixels thick), and lays out the title, ticks and legend with the bitmap font.
#include "plot.hpp"

#include "font.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace adjoint::examples
{
    namespace
    {
        constexpr rgb black{0, 0, 0}, grid{225, 225, 225}, axis_grey{90, 90, 90};

        void dot(rgb_image& image, int x, int y, rgb colour, int radius)
        {
            for (int dy = -radius; dy <= radius; ++dy)
            {
                for (int dx = -radius; dx <= radius; ++dx)
                {
                    if (image.inside(x + dx, y + dy))
                    {
                        image.at(x + dx, y + dy) = colour;
                    }
                }
            }
        }

        // Bresenham from (x0, y0) to (x1, y1), each step a 2x2 block.
        void line(rgb_image& image, int x0, int y0, int x1, int y1, rgb colour)
        {
            const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
            const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
            int err = dx + dy;
            while (true)
            {
                for (int k = 0; k < 4; ++k)
                {
                    if (image.inside(x0 + k % 2, y0 + k / 2))
                    {
                        image.at(x0 + k % 2, y0 + k / 2) = colour;
                    }
                }
                if (x0 == x1 && y0 == y1)
                {
                    break;
                }
                const int e2 = 2 * err;
                if (e2 >= dy)
                {
                    err += dy;
                    x0 += sx;
                }
                if (e2 <= dx)
                {
                    err += dx;
                    y0 += sy;
                }
            }
        }

        // A tick label with as few digits as the step needs ("0.25", "3", "1.5e-05").
        std::string tick_label(double value, double step)
        {
            char text[32];
            if (value != 0.0 && (std::fabs(value) < 1e-3 || std::fabs(value) >= 1e5))
            {
                std::snprintf(text, sizeof text, "%.1e", value);
            }
            else
            {
                const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
                std::snprintf(text, sizeof text, "%.*f", decimals, std::fabs(value) < step * 1e-9 ? 0.0 : value);
            }
            return text;
        }
    }

    std::vector<double> nice_ticks(double lo, double hi, int target)
    {
        if (!(hi > lo))
        {
            hi = lo + 1.0;
        }
        const double raw = (hi - lo) / std::max(1, target);
        const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
        double step = magnitude;
        for (double m : {1.0, 2.0, 5.0, 10.0})
        {
            step = m * magnitude;
            if (step >= raw)
            {
                break;
            }
        }
        std::vector<double> ticks;
        for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
        {
            ticks.push_back(t);
        }
        return ticks;
    }

    rgb_image render_chart(const line_chart& chart, int width, int height)
    {
        if (width < 120 || height < 120)
        {
            throw std::invalid_argument(detail::str("render_chart: at least 120 x 120 pixels, got ", width, " x ", height));
        }
        // Data ranges.
        double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
        for (const plot_series& s : chart.series)
        {
            for (const auto& [x, y] : s.points)
            {
                if (std::isfinite(x) && std::isfinite(y))
                {
                    x_lo = std::min(x_lo, x);
                    x_hi = std::max(x_hi, x);
                    y_lo = std::min(y_lo, y);
                    y_hi = std::max(y_hi, y);
                }
            }
        }
        if (!std::isfinite(x_lo))
        {
            x_lo = 0.0, x_hi = 1.0, y_lo = 0.0, y_hi = 1.0;
        }
        if (chart.y_min < chart.y_max)
        {
            y_lo = chart.y_min, y_hi = chart.y_max;
        }
        if (!(x_hi > x_lo))
        {
            x_hi = x_lo + 1.0;
        }
        if (!(y_hi > y_lo))
        {
            y_lo -= 0.5, y_hi += 0.5;
        }
        const std::vector<double> x_ticks = nice_ticks(x_lo, x_hi, 6);
        std::vector<double> y_ticks = nice_ticks(y_lo, y_hi, 5);
        // Widen the y range to whole ticks so the curve never touches the frame unlabelled.
        const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1.0;
        y_lo = std::min(y_lo, y_ticks.front());
        y_hi = std::max(y_hi, y_ticks.back());
        if (chart.y_min >= chart.y_max)
        {
            y_lo = std::floor(y_lo / y_step + 1e-9) * y_step;
            y_hi = std::ceil(y_hi / y_step - 1e-9) * y_step;
            y_ticks = nice_ticks(y_lo, y_hi, 5);   // the widened range's ends get labels too
        }

        rgb_image image(width, height);
        int label_width = 0;
        for (double t : y_ticks)
        {
            label_width = std::max(label_width, text_width(tick_label(t, y_step)));
        }
        const int left = label_width + 12, right = width - 12, top = 24, bottom = height - 34;
        auto px = [&](double x) { return left + static_cast<int>(std::lround((x - x_lo) / (x_hi - x_lo) * (right - left))); };
        auto py = [&](double y) { return bottom - static_cast<int>(std::lround((y - y_lo) / (y_hi - y_lo) * (bottom - top))); };

        draw_text(image, (width - text_width(chart.title)) / 2, 8, chart.title, black);
        draw_text(image, (left + right - text_width(chart.x_label)) / 2, height - 12, chart.x_label, black);
        const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1.0;
        for (double t : x_ticks)
        {
            const int x = px(t);
            for (int y = top; y < bottom; ++y)
            {
                image.at(x, y) = grid;
            }
            for (int y = bottom; y < bottom + 4; ++y)
            {
                image.at(x, y) = axis_grey;
            }
            const std::string label = tick_label(t, x_step);
            draw_text(image, x - text_width(label) / 2, bottom + 7, label, black);
        }
        for (double t : y_ticks)
        {
            const int y = py(t);
            if (y < top || y > bottom)
            {
                continue;
            }
            for (int x = left; x < right; ++x)
            {
                image.at(x, y) = grid;
            }
            for (int x = left - 4; x < left; ++x)
            {
                image.at(x, y) = axis_grey;
            }
            const std::string label = tick_label(t, y_step);
            draw_text(image, left - 7 - text_width(label), y - 3, label, black);
        }
        for (int x = left; x <= right; ++x)
        {
            image.at(x, bottom) = axis_grey;
        }
        for (int y = top; y <= bottom; ++y)
        {
            image.at(left, y) = axis_grey;
        }

        for (const plot_series& s : chart.series)
        {
            bool have_last = false;
            int last_x = 0, last_y = 0;
            for (const auto& [x, y] : s.points)
            {
                if (!std::isfinite(x) || !std::isfinite(y))
                {
                    have_last = false;
                    continue;
                }
                const int cx = px(x), cy = std::clamp(py(y), top, bottom);
                if (have_last)
                {
                    line(image, last_x, last_y, cx, cy, s.colour);
                }
                dot(image, cx, cy, s.colour, 2);
                have_last = true;
                last_x = cx, last_y = cy;
            }
        }

        // Legend, top right inside the plot area, on white so the curves do not show through.
        int legend_width = 0;
        for (const plot_series& s : chart.series)
        {
            legend_width = std::max(legend_width, text_width(s.name));
        }
        legend_width += 28;
        const int row = 12, legend_height = static_cast<int>(chart.series.size()) * row + 6;
        const int lx = right - legend_width - 6, ly = top + 6;
        for (int y = ly; y < ly + legend_height; ++y)
        {
            for (int x = lx; x < lx + legend_width; ++x)
            {
                const bool edge = y == ly || y == ly + legend_height - 1 || x == lx || x == lx + legend_width - 1;
                image.at(x, y) = edge ? axis_grey : rgb{255, 255, 255};
            }
        }
        for (std::size_t k = 0; k < chart.series.size(); ++k)
        {
            const int y = ly + 4 + static_cast<int>(k) * row;
            line(image, lx + 5, y + 3, lx + 18, y + 3, chart.series[k].colour);
            draw_text(image, lx + 23, y, chart.series[k].name, black);
        }
        return image;
    }
}
