// .npy reading and writing (see npy.hpp). The header is a Python dict literal; a small
// hand-written parser reads just the three keys NumPy writes and rejects anything else.
// Sizes claimed by a header are checked against the file before anything is allocated.
#include <adjoint/core/npy.hpp>
#include <adjoint/core/xt.hpp>

#include <adjoint/core/atomic_file.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>

namespace adjoint
{
    namespace
    {
        const char k_magic[] = "\x93NUMPY";

        // Every dtype .npy files can hold here, in one place: adding one is one line.
        struct npy_dtype
        {
            const char* descr;
            adjoint::dtype dt;
        };
        const npy_dtype k_npy_dtypes[] = {
            {"<f4", float32},
            {"<f8", float64},
            {"<i8", int64},
        };

        // "float32 ('<f4') and float64 ('<f8')", from the table.
        std::string supported_dtypes()
        {
            std::string s;
            const std::size_t n = std::size(k_npy_dtypes);
            for (std::size_t i = 0; i < n; ++i)
            {
                s += detail::str(i == 0 ? "" : (i + 1 == n ? " and " : ", "), dtype_name(k_npy_dtypes[i].dt), " ('",
                                 k_npy_dtypes[i].descr, "')");
            }
            return s;
        }

        [[noreturn]] void corrupt(const std::string& path, const std::string& what)
        {
            throw std::runtime_error(detail::str("load_npy: '", path, "' is not a valid .npy file: ", what));
        }

        // Text from the file quoted in a message, cut short: a header may be a megabyte long.
        std::string excerpt(const std::string& text)
        {
            const std::size_t k_max = 40;
            return text.size() <= k_max ? text : text.substr(0, k_max) + "...";
        }

        struct npy_header
        {
            std::string descr;
            bool fortran_order = false;
            shape_t shape;
        };

        // The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
        // 'shape': (2, 3), }. This reads exactly that grammar in one pass without recursion or
        // backtracking (std::regex recursed once per character and overflowed the stack on long
        // values): string keys, each of 'descr', 'fortran_order', 'shape' exactly once, values
        // of the one type each key takes, and nothing but whitespace after the closing brace.
        class header_parser
        {
        public:
            header_parser(const std::string& text, const std::string& path) : m_text(text), m_path(path) {}

            npy_header parse()
            {
                npy_header h;
                bool seen[3] = {false, false, false};
                const char* const keys[3] = {"descr", "fortran_order", "shape"};
                skip_space();
                expect('{', "at the start of the header");
                skip_space();
                while (!at('}'))
                {
                    const std::string key = read_string("a quoted key");
                    int which = -1;
                    for (int i = 0; i < 3; ++i)
                    {
                        which = key == keys[i] ? i : which;
                    }
                    if (which < 0)
                    {
                        fail(detail::str("unknown key '", excerpt(key),
                                         "'; only 'descr', 'fortran_order' and 'shape' are allowed"));
                    }
                    if (seen[which])
                    {
                        fail(detail::str("the key '", key, "' appears twice"));
                    }
                    seen[which] = true;
                    skip_space();
                    expect(':', detail::str("after the key '", key, "'"));
                    skip_space();
                    if (which == 0)
                    {
                        h.descr = read_string("a quoted string as the value of 'descr'");
                    }
                    else if (which == 1)
                    {
                        h.fortran_order = read_bool();
                    }
                    else
                    {
                        h.shape = read_shape();
                    }
                    skip_space();
                    if (at(','))
                    {
                        ++m_pos;
                        skip_space();
                    }
                    else if (!at('}'))
                    {
                        fail(detail::str("expected ',' or '}' after the value of '", key, "', found ", found()));
                    }
                }
                ++m_pos;
                skip_space();
                if (m_pos != m_text.size())
                {
                    fail(detail::str("expected only whitespace after the closing '}', found ", found()));
                }
                for (int i = 0; i < 3; ++i)
                {
                    if (!seen[i])
                    {
                        fail(detail::str("the key '", keys[i], "' is missing"));
                    }
                }
                return h;
            }

        private:
            [[noreturn]] void fail(const std::string& what) const { corrupt(m_path, "header: " + what); }

            bool at(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }

            // "'x' at offset 12", or "the end of the header".
            std::string found() const
            {
                if (m_pos >= m_text.size())
                {
                    return "the end of the header";
                }
                return detail::str("'", m_text[m_pos], "' at offset ", m_pos);
            }

            void skip_space()
            {
                while (m_pos < m_text.size() &&
                       (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
                {
                    ++m_pos;
                }
            }

            void expect(char c, const std::string& where)
            {
                if (!at(c))
                {
                    fail(detail::str("expected '", c, "' ", where, ", found ", found()));
                }
                ++m_pos;
            }

            // 'text' or "text". NumPy never writes escapes, so a backslash is refused rather
            // than half-understood.
            std::string read_string(const char* what)
            {
                if (!at('\'') && !at('"'))
                {
                    fail(detail::str("expected ", what, ", found ", found()));
                }
                const char quote = m_text[m_pos];
                const std::size_t begin = ++m_pos;
                while (m_pos < m_text.size() && m_text[m_pos] != quote)
                {
                    if (m_text[m_pos] == '\\' || m_text[m_pos] == '\n')
                    {
                        fail(detail::str("unsupported character in a string, found ", found()));
                    }
                    ++m_pos;
                }
                if (m_pos == m_text.size())
                {
                    fail(detail::str("a string starting at offset ", begin - 1, " is never closed"));
                }
                return m_text.substr(begin, m_pos++ - begin);
            }

            bool read_bool()
            {
                for (const bool value : {true, false})
                {
                    const std::string word = value ? "True" : "False";
                    if (m_text.compare(m_pos, word.size(), word) == 0)
                    {
                        m_pos += word.size();
                        return value;
                    }
                }
                fail(detail::str("expected True or False as the value of 'fortran_order', found ", found()));
            }

            // (), (3,), (2, 3) or (2, 3,); each a non-negative integer with an optional Python 2 'L'.
            shape_t read_shape()
            {
                const std::size_t begin = m_pos;
                expect('(', "to open the tuple that is the value of 'shape'");
                shape_t shape;
                bool comma = false;
                skip_space();
                while (!at(')'))
                {
                    shape.push_back(read_dimension());
                    skip_space();
                    comma = at(',');
                    if (comma)
                    {
                        ++m_pos;
                        skip_space();
                    }
                    else if (!at(')'))
                    {
                        fail(detail::str("expected ',' or ')' in the value of 'shape', found ", found()));
                    }
                }
                ++m_pos;
                if (shape.size() == 1 && !comma)
                {
                    // (3) is the number 3 in Python, not a tuple: NumPy never writes it.
                    fail(detail::str("the value of 'shape' must be a tuple, got ", m_text.substr(begin, m_pos - begin),
                                     " (a 1-tuple is written (", shape[0], ",))"));
                }
                return shape;
            }

            std::int64_t read_dimension()
            {
                const std::size_t begin = m_pos;
                std::optional<std::int64_t> value = 0;
                while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
                {
                    if (value)
                    {
                        value = checked_mul(*value, 10);
                    }
                    if (value)
                    {
                        value = checked_add(*value, m_text[m_pos] - '0');
                    }
                    ++m_pos;
                }
                if (m_pos == begin)
                {
                    fail(detail::str("expected a non-negative integer in the value of 'shape', found ", found()));
                }
                if (!value)
                {
                    fail(detail::str("the dimension ", excerpt(m_text.substr(begin, m_pos - begin)),
                                     " in the value of 'shape' does not fit in int64"));
                }
                if (at('L'))
                {
                    ++m_pos;
                }
                return *value;
            }

            const std::string& m_text;
            const std::string& m_path;
            std::size_t m_pos = 0;
        };
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
        const npy_header h = header_parser(header, path).parse();
        const npy_dtype* entry = nullptr;
        for (const auto& d : k_npy_dtypes)
        {
            entry = h.descr == d.descr ? &d : entry;
        }
        if (entry == nullptr)
        {
            throw std::runtime_error(detail::str("load_npy: '", path, "' holds dtype '", excerpt(h.descr),
                                                 "'; only little-endian ", supported_dtypes(), " are supported"));
        }
        if (h.fortran_order)
        {
            throw std::runtime_error(detail::str("load_npy: '", path,
                                                 "' is in Fortran order; save it with np.ascontiguousarray first"));
        }

        // Check what the header claims against the bytes the file really has before
        // allocating anything: a corrupt 100-byte file must not ask for 400 GB.
        const std::streamoff data_start = in.tellg();
        in.seekg(0, std::ios::end);
        const std::streamoff file_end = in.tellg();
        in.seekg(data_start);
        if (data_start < 0 || file_end < data_start || !in)
        {
            throw std::runtime_error(detail::str("load_npy: cannot determine the size of '", path, "'"));
        }
        const std::int64_t available = file_end - data_start;
        const auto numel = try_shape_numel(h.shape);
        if (!numel)
        {
            corrupt(path, detail::str("shape ", shape_str(h.shape), " has more elements than int64 can count"));
        }
        const auto itemsize = static_cast<std::int64_t>(dtype_size(entry->dt));
        const auto bytes = checked_mul(*numel, itemsize);
        if (!bytes || *bytes > available)
        {
            corrupt(path, detail::str("data is truncated: shape ", shape_str(h.shape), " needs ",
                                      bytes ? std::to_string(*bytes) : detail::str(*numel, "*", itemsize), " bytes, got ",
                                      available));
        }
        if (*bytes < available)
        {
            corrupt(path, detail::str("trailing bytes after the ", *bytes, " bytes of data for shape ",
                                      shape_str(h.shape)));
        }
        array a = array::empty(h.shape, entry->dt, "load_npy");
        char* dst = static_cast<char*>(a.mutable_data_ptr());
        if (!in.read(dst, static_cast<std::streamsize>(*bytes)))
        {
            throw std::runtime_error(detail::str("load_npy: reading the data of '", path, "' failed"));
        }
        return a;
    }

    void save_npy_array(const array& a, const std::string& path)
    {
        const char* descr = nullptr;
        for (const auto& d : k_npy_dtypes)
        {
            descr = d.dt == a.dtype() ? d.descr : descr;
        }
        if (descr == nullptr)
        {
            throw std::invalid_argument(detail::str("save_npy: .npy files hold ", supported_dtypes(), ", got ",
                                                    dtype_name(a.dtype())));
        }
        std::string header = detail::str("{'descr': '", descr,
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
        out.write(a.data_ptr(), a.nbytes());
        out.commit();
    }
}
