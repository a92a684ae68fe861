// A tiny line-plot rasteriser for the examples' training curves: one chart with a title,
// axes with "nice" ticks (1, 2, 5 x 10^k) and their labels, light grid lines, one polyline
// per series (a dot per point, so a single point shows) and a legend, drawn with font.hpp.
// Not here: log axes, several y axes, anti-aliasing, dashes.
#pragma once
#include "image.hpp"

#include <string>
#include <utility>
#include <vector>

namespace adjoint::examples
{
    struct plot_series
    {
        std::string name;
        rgb colour;
        std::vector<std::pair<double, double>> points;   // (x, y); non-finite y are skipped
    };

    struct line_chart
    {
        std::string title, x_label;
        std::vector<plot_series> series;
        // Fixed y range when y_min < y_max (e.g. 0..1 for IoU); otherwise from the data.
        double y_min = 0.0, y_max = 0.0;
    };

    // The chart as a width x height picture (width, height >= 120).
    rgb_image render_chart(const line_chart& chart, int width, int height);

    // Tick positions covering [lo, hi] with about `target` steps of 1, 2 or 5 x 10^k.
    std::vector<double> nice_ticks(double lo, double hi, int target = 5);
}
