// The case list of tests/fixtures/pooling/manifest.txt (written by generate_pooling.py), and
// running one case's op from its manifest fields: shared by test_pooling_golden.cpp and
// test_interpolate.cpp.
#pragma once
#include "golden_helpers.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace pooling_golden
{
    using namespace adjoint;

    using golden_case = golden::manifest_case;

    inline std::vector<golden_case> load_manifest(const std::string& op) { return golden::load_manifest("pooling", op); }

    inline pair_t parse_pair(const std::string& s)
    {
        const auto comma = s.find(',');
        return {std::stoll(s.substr(0, comma)), std::stoll(s.substr(comma + 1))};
    }

    inline std::array<double, 2> parse_doubles(const std::string& s)
    {
        const auto comma = s.find(',');
        return {std::stod(s.substr(0, comma)), std::stod(s.substr(comma + 1))};
    }

    inline Tensor fixture(const golden_case& c, const std::string& key)
    {
        return load_npy(std::string(ADJOINT_FIXTURES) + "/pooling/" + c.name + "_" + key + ".npy");
    }

    inline max_pool2d_options max_options(const golden_case& c)
    {
        const pair_t k = parse_pair(c.fields.at("kernel")), s = parse_pair(c.fields.at("stride"));
        const pair_t p = parse_pair(c.fields.at("padding")), d = parse_pair(c.fields.at("dilation"));
        return max_pool2d_options(k[0], k[1]).stride(s[0], s[1]).padding(p[0], p[1]).dilation(d[0], d[1]).ceil_mode(
            c.flag("ceil"));
    }

    inline avg_pool2d_options avg_options(const golden_case& c)
    {
        const pair_t k = parse_pair(c.fields.at("kernel")), s = parse_pair(c.fields.at("stride"));
        const pair_t p = parse_pair(c.fields.at("padding"));
        const std::int64_t divisor = std::stoll(c.fields.at("divisor"));
        return avg_pool2d_options(k[0], k[1])
            .stride(s[0], s[1])
            .padding(p[0], p[1])
            .ceil_mode(c.flag("ceil"))
            .count_include_pad(c.flag("count_include_pad"))
            .divisor_override(divisor != 0 ? std::optional<std::int64_t>(divisor) : std::nullopt);
    }

    inline interpolate_options resample_options(const golden_case& c)
    {
        interpolate_options o;
        o.mode(c.fields.at("mode"));
        if (c.fields.at("mode") == "bilinear")
        {
            o.align_corners(c.flag("align_corners"));
        }
        if (c.fields.count("size"))
        {
            const pair_t s = parse_pair(c.fields.at("size"));
            o.size(s[0], s[1]);
        }
        else
        {
            const auto s = parse_doubles(c.fields.at("scale"));
            o.scale_factor(s[0], s[1]).recompute_scale_factor(c.flag("recompute"));
        }
        return o;
    }

    // The case's op on x, with the manifest's options.
    inline Tensor run(const golden_case& c, const Tensor& x)
    {
        if (c.op == "max_pool2d")
        {
            return max_pool2d(x, max_options(c));
        }
        if (c.op == "avg_pool2d")
        {
            return avg_pool2d(x, avg_options(c));
        }
        if (c.op == "adaptive_avg_pool2d")
        {
            return adaptive_avg_pool2d(x, parse_pair(c.fields.at("out")));
        }
        return interpolate(x, resample_options(c));
    }
}
