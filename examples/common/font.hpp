// A built-in 5x7 bitmap font for labelling example pictures (plots, montages): digits,
// letters (lower case is drawn as upper case), space and common punctuation. Characters
// it does not know are drawn as a hollow box. No kerning, no anti-aliasing, one size
// scaled by whole pixels.
#pragma once
#include "image.hpp"

#include <string>

namespace adjoint::examples
{
    constexpr int glyph_width = 5, glyph_height = 7, glyph_advance = 6;   // pixels at scale 1

    // Draws text with its top-left corner at (x, y); pixels outside the image are clipped.
    void draw_text(rgb_image& image, int x, int y, const std::string& text, rgb colour, int scale = 1);
    // Width in pixels of draw_text's output (without the last glyph's trailing gap).
    int text_width(const std::string& text, int scale = 1);
}
