// Overlays, montage and curves for the toy segmentation example (see pictures.hpp).
#include "pictures.hpp"

#include "common/font.hpp"
#include "common/plot.hpp"
#include "dataset.hpp"

#include <algorithm>

namespace adjoint::examples
{
    rgb class_colour(std::int64_t index)
    {
        static const rgb colours[] = {{0, 0, 0}, {235, 30, 30}, {20, 210, 60}, {40, 90, 255}, {255, 200, 0}, {200, 0, 255}};
        return colours[static_cast<std::size_t>(index) % 6];
    }

    rgb_image overlay(const rgb_image& image, const gray_image& mask)
    {
        rgb_image out = image;
        for (std::size_t i = 0; i < out.pixels.size(); ++i)
        {
            if (mask.pixels[i] == 0)
            {
                continue;
            }
            const rgb c = class_colour(mask.pixels[i]);
            rgb& p = out.pixels[i];
            auto blend = [](int a, int b) { return static_cast<std::uint8_t>((45 * a + 55 * b) / 100); };
            p = {blend(p.r, c.r), blend(p.g, c.g), blend(p.b, c.b)};
        }
        return out;
    }

    rgb_image montage(const std::vector<montage_row>& rows, std::int64_t num_classes, const std::string& caption)
    {
        const int tile = rows.front().image->width, scale = std::max(1, 128 / tile), side = tile * scale;
        const int gap = 8, header = 20, footer = 34;
        const int width = 3 * side + 4 * gap;
        const int height = header + static_cast<int>(rows.size()) * (side + gap) + footer;
        rgb_image canvas(width, height);
        const rgb black{0, 0, 0};
        const char* titles[] = {"input", "ground truth", "prediction"};
        for (int c = 0; c < 3; ++c)
        {
            draw_text(canvas, gap + c * (side + gap) + (side - text_width(titles[c])) / 2, 6, titles[c], black);
        }
        for (std::size_t r = 0; r < rows.size(); ++r)
        {
            const int y = header + static_cast<int>(r) * (side + gap);
            paste(canvas, upscale(*rows[r].image, scale), gap, y);
            paste(canvas, upscale(overlay(*rows[r].image, *rows[r].truth), scale), gap + side + gap, y);
            paste(canvas, upscale(overlay(*rows[r].image, rows[r].prediction), scale), gap + 2 * (side + gap), y);
        }
        int x = gap;
        const int legend_y = height - footer + 2;
        for (std::int64_t k = 1; k < num_classes; ++k)
        {
            const std::string name = num_classes == 2 ? "shape" : class_name(k);
            for (int j = 0; j < 7; ++j)
            {
                for (int i = 0; i < 7; ++i)
                {
                    canvas.at(x + i, legend_y + j) = class_colour(k);
                }
            }
            draw_text(canvas, x + 10, legend_y, name, black);
            x += 10 + text_width(name) + 14;
        }
        draw_text(canvas, gap, height - 14, caption, black);
        return canvas;
    }

    rgb_image curves(const std::vector<epoch_record>& history, const std::string& iou_name)
    {
        line_chart loss{"loss", "epoch", {{"train", {30, 100, 220}, {}}, {"validation", {230, 110, 20}, {}}}};
        line_chart quality{"validation", "epoch", {{iou_name, {20, 160, 60}, {}}, {"dice", {160, 40, 180}, {}}}, 0.0, 1.0};
        for (const epoch_record& e : history)
        {
            const double x = static_cast<double>(e.epoch);
            loss.series[0].points.emplace_back(x, e.train_loss);
            loss.series[1].points.emplace_back(x, e.val_loss);
            quality.series[0].points.emplace_back(x, e.val_iou);
            quality.series[1].points.emplace_back(x, e.val_dice);
        }
        const rgb_image left = render_chart(loss, 420, 300), right = render_chart(quality, 420, 300);
        rgb_image canvas(left.width + right.width, left.height);
        paste(canvas, left, 0, 0);
        paste(canvas, right, left.width, 0);
        return canvas;
    }
}
