// .npy reading and writing (see npy.hpp). The header is a Python dict literal; we parse
// just the three keys NumPy writes and reject anything else we cannot honour.
#include <adjoint/core/npy.hpp>

#include <adjoint/core/atomic_file.hpp>

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        const char k_magic[] = "\x93NUMPY";

        [[noreturn]] void corrupt(const std::string& path, const std::string& what)
        {
            throw std::runtime_error(detail::str("load_npy: '", path, "' is not a valid .npy file: ", what));
        }

        std::string header_value(const std::string& header, const std::string& key, const std::string& path)
        {
            // 'key': value  where value is a quoted string, True/False, or a tuple.
            const std::regex re("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
            std::smatch m;
            if (!std::regex_search(header, m, re))
            {
                corrupt(path, "header has no '" + key + "' entry: " + header);
            }
            return m[1].str();
        }

        shape_t parse_shape(const std::string& tuple, const std::string& path)
        {
            shape_t shape;
            std::string inner = tuple.substr(1, tuple.size() - 2);
            std::stringstream in(inner);
            std::string item;
            while (std::getline(in, item, ','))
            {
                const auto b = item.find_first_not_of(" \t");
                if (b == std::string::npos)
                {
                    continue;   // the trailing comma of a 1-tuple
                }
                std::size_t used = 0;
                long long v = -1;
                try
                {
                    v = std::stoll(item.substr(b), &used);
                }
                catch (const std::exception&)
                {
                }
                if (v < 0 || item.find_first_not_of(" \tL", b + used) != std::string::npos)
                {
                    corrupt(path, "bad shape " + tuple);
                }
                shape.push_back(v);
            }
            return shape;
        }
    }

    array load_npy_array(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        if (!in)
        {
            throw std::runtime_error(detail::str("load_npy: cannot open '", path, "'"));
        }
        char magic[6];
        unsigned char version[2];
        if (!in.read(magic, 6) || std::memcmp(magic, k_magic, 6) != 0)
        {
            corrupt(path, "missing the \\x93NUMPY magic string");
        }
        if (!in.read(reinterpret_cast<char*>(version), 2) || version[0] < 1 || version[0] > 3)
        {
            corrupt(path, "unsupported format version");
        }
        // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4 (little-endian).
        const int len_bytes = version[0] == 1 ? 2 : 4;
        unsigned char len_buf[4] = {0, 0, 0, 0};
        if (!in.read(reinterpret_cast<char*>(len_buf), len_bytes))
        {
            corrupt(path, "truncated header length");
        }
        const std::uint32_t header_len = len_buf[0] | (len_buf[1] << 8) | (len_buf[2] << 16) |
                                         (static_cast<std::uint32_t>(len_buf[3]) << 24);
        if (header_len > (1u << 20))
        {
            corrupt(path, detail::str("implausible header length ", header_len));
        }
        std::string header(header_len, '\0');
        if (!in.read(header.data(), header_len))
        {
            corrupt(path, "truncated header");
        }
        const std::string descr = header_value(header, "descr", path);
        adjoint::dtype dt;
        if (descr == "'<f4'")
        {
            dt = float32;
        }
        else if (descr == "'<f8'")
        {
            dt = float64;
        }
        else
        {
            throw std::runtime_error(detail::str("load_npy: '", path, "' holds dtype ", descr,
                                                 "; only little-endian float32 ('<f4') and float64 ('<f8') are supported"));
        }
        if (header_value(header, "fortran_order", path) != "False")
        {
            throw std::runtime_error(detail::str("load_npy: '", path,
                                                 "' is in Fortran order; save it with np.ascontiguousarray first"));
        }
        const shape_t shape = parse_shape(header_value(header, "shape", path), path);
        array a = array::empty(shape, dt);
        const std::streamsize bytes = static_cast<std::streamsize>(a.numel() * dtype_size(dt));
        char* dst = dt == float32 ? reinterpret_cast<char*>(a.data<float>()) : reinterpret_cast<char*>(a.data<double>());
        if (!in.read(dst, bytes))
        {
            corrupt(path, detail::str("data is truncated: shape ", shape_str(shape), " needs ", bytes, " bytes, got ",
                                      in.gcount()));
        }
        if (in.peek() != std::char_traits<char>::eof())
        {
            corrupt(path, detail::str("trailing bytes after the ", bytes, " bytes of data for shape ", shape_str(shape)));
        }
        return a;
    }

    void save_npy_array(const array& a, const std::string& path)
    {
        std::string header = detail::str("{'descr': '", a.dtype() == float32 ? "<f4" : "<f8",
                                         "', 'fortran_order': False, 'shape': ", shape_str(a.shape()), ", }");
        // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64.
        const std::size_t total = 6 + 2 + 2 + header.size() + 1;
        header.append((64 - total % 64) % 64, ' ');
        header.push_back('\n');

        // Readers never see half a file: temp file, fsync, rename (core/atomic_file.hpp).
        detail::atomic_file out(path, "save_npy");
        out.write(k_magic, 6);
        const char version[2] = {1, 0};
        out.write(version, 2);
        const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
        out.write(len, 2);
        out.write(header.data(), header.size());
        const void* src = a.dtype() == float32 ? static_cast<const void*>(a.data<float>())
                                               : static_cast<const void*>(a.data<double>());
        out.write(src, static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype()));
        out.commit();
    }
}
