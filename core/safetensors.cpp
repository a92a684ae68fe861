// safetensors reading and writing (see safetensors.hpp). The header is parsed with
// nlohmann-json (private to this file); every field is validated, and the entries must tile
// the data section exactly, before any array is allocated, so a corrupt or hostile file
// costs at most its own size in memory and never reads out of bounds.
#include <adjoint/core/safetensors.hpp>

#include <adjoint/core/atomic_file.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// Values are written and read as raw bytes, so the host must be little-endian like the format.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors.cpp assumes a little-endian host");

namespace adjoint
{
    namespace
    {
        // ordered_json keeps keys in file order: entries load in the order they were saved.
        using json = nlohmann::ordered_json;

        // The reference implementation's limit; real headers are kilobytes.
        constexpr std::uint64_t k_max_header_bytes = 100'000'000;
        // A valid header nests three deep (root, entry, shape); anything much deeper is
        // garbage, and refusing it keeps the recursive dump() of error messages shallow.
        constexpr int k_max_depth = 16;
        const char* const k_metadata_key = "__metadata__";

        struct dtype_code
        {
            adjoint::dtype dt;
            const char* code;
        };
        const dtype_code k_dtype_codes[] = {{float32, "F32"}, {float64, "F64"}, {int64, "I64"}};

        const char* code_of(adjoint::dtype dt)
        {
            for (const auto& c : k_dtype_codes)
            {
                if (c.dt == dt)
                {
                    return c.code;
                }
            }
            throw std::logic_error(detail::str("save_safetensors: no safetensors code for dtype ", dtype_name(dt)));
        }

        std::string supported_codes()
        {
            std::string s;
            for (const auto& c : k_dtype_codes)
            {
                s += std::string(s.empty() ? "" : ", ") + "\"" + c.code + "\"";
            }
            return s;
        }

        // A JSON value for an error message: ASCII, and cut short if long.
        std::string shown(const json& v)
        {
            std::string s = v.dump(-1, ' ', true);
            return s.size() > 80 ? s.substr(0, 77) + "..." : s;
        }

        [[noreturn]] void corrupt(const std::string& path, const std::string& what)
        {
            throw std::runtime_error(
                detail::str("load_safetensors: '", path, "' is not a valid safetensors file: ", what));
        }

        // The file, read with pread at checked offsets; closed on every exit.
        class input_file
        {
        public:
            explicit input_file(const std::string& path) : m_path(path)
            {
                m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                if (m_fd < 0)
                {
                    throw std::runtime_error(detail::str("load_safetensors: cannot open '", path,
                                                         "': ", std::generic_category().message(errno)));
                }
                struct stat st;
                if (::fstat(m_fd, &st) != 0 || !S_ISREG(st.st_mode))
                {
                    ::close(m_fd);
                    throw std::runtime_error(detail::str("load_safetensors: '", path, "' is not a regular file"));
                }
                m_size = static_cast<std::uint64_t>(st.st_size);
            }
            ~input_file() { ::close(m_fd); }
            input_file(const input_file&) = delete;
            input_file& operator=(const input_file&) = delete;

            std::uint64_t size() const { return m_size; }

            void read_at(std::uint64_t offset, void* dst, std::uint64_t count) const
            {
                char* p = static_cast<char*>(dst);
                while (count > 0)
                {
                    const ::ssize_t n = ::pread(m_fd, p, count, static_cast<::off_t>(offset));
                    if (n < 0 && errno == EINTR)
                    {
                        continue;
                    }
                    if (n < 0)
                    {
                        throw std::runtime_error(detail::str("load_safetensors: reading '", m_path,
                                                             "' failed: ", std::generic_category().message(errno)));
                    }
                    if (n == 0)   // validated against the size at open: someone truncated it since
                    {
                        throw std::runtime_error(
                            detail::str("load_safetensors: '", m_path, "' became shorter while it was read"));
                    }
                    p += n;
                    offset += static_cast<std::uint64_t>(n);
                    count -= static_cast<std::uint64_t>(n);
                }
            }

        private:
            std::string m_path;
            int m_fd = -1;
            std::uint64_t m_size = 0;
        };

        struct duplicate_key
        {
            std::string key;
        };
        struct too_deep
        {
        };

        // nlohmann keeps the last of repeated keys silently; a parser callback sees every
        // key and remembers, per open object, which it has already seen.
        json parse_header(const std::string& text, const std::string& path)
        {
            std::vector<std::set<std::string>> open_objects;
            const json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
                if (depth > k_max_depth)
                {
                    throw too_deep{};
                }
                if (event == json::parse_event_t::object_start)
                {
                    open_objects.emplace_back();
                }
                else if (event == json::parse_event_t::object_end)
                {
                    open_objects.pop_back();
                }
                else if (event == json::parse_event_t::key &&
                         !open_objects.back().insert(parsed.get<std::string>()).second)
                {
                    throw duplicate_key{parsed.get<std::string>()};
                }
                return true;
            };
            try
            {
                return json::parse(text, callback);
            }
            catch (const json::parse_error& e)
            {
                // e.byte counts the characters read, the failing one included (1-based).
                if (e.byte > text.size())
                {
                    corrupt(path, detail::str("the header must be JSON, got JSON cut short after ", text.size(),
                                              " bytes"));
                }
                corrupt(path, detail::str("the header must be JSON, got a syntax error at byte offset ", e.byte - 1));
            }
            catch (const json::out_of_range&)
            {
                // The one out_of_range the parser raises: a number literal beyond a double (1e999).
                corrupt(path, "the header must be JSON with numbers a double can hold, got a number that overflows");
            }
            catch (const json::exception& e)
            {
                // Any other way nlohmann refuses the text is still a corrupt file, not a crash.
                corrupt(path, detail::str("the header must be JSON, got: ", e.what()));
            }
            catch (const duplicate_key& d)
            {
                corrupt(path, detail::str("the header must not repeat a key, got \"", d.key, "\" twice"));
            }
            catch (const too_deep&)
            {
                corrupt(path, detail::str("the header must nest at most ", k_max_depth, " levels deep"));
            }
        }

        std::map<std::string, std::string> parse_metadata(const json& value, const std::string& path)
        {
            if (!value.is_object())
            {
                corrupt(path, detail::str("\"__metadata__\" must be an object of strings, got ", shown(value)));
            }
            std::map<std::string, std::string> metadata;
            for (const auto& [key, v] : value.items())
            {
                if (!v.is_string())
                {
                    corrupt(path, detail::str("\"__metadata__\" value of \"", key, "\" must be a string, got ",
                                              shown(v)));
                }
                metadata[key] = v.get<std::string>();
            }
            return metadata;
        }

        struct header_entry
        {
            std::string name;
            adjoint::dtype dt = float32;
            const char* code = "";
            shape_t shape;
            std::uint64_t begin = 0;
            std::uint64_t end = 0;
        };

        bool is_count(const json& v)   // a non-negative integer that fits in int64
        {
            return v.is_number_unsigned() &&
                   v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        }

        header_entry parse_entry(const std::string& name, const json& value, std::uint64_t data_size,
                                 const std::string& path)
        {
            const std::string tensor = "tensor \"" + name + "\"";
            if (!value.is_object())
            {
                corrupt(path, detail::str(tensor, " must be an object, got ", shown(value)));
            }
            if (value.size() != 3 || !value.contains("dtype") || !value.contains("shape") ||
                !value.contains("data_offsets"))
            {
                json keys = json::array();
                for (const auto& item : value.items())
                {
                    keys.push_back(item.key());
                }
                corrupt(path, detail::str(tensor,
                                          " must have exactly the keys [\"dtype\",\"shape\",\"data_offsets\"], got ",
                                          shown(keys)));
            }
            header_entry e;
            e.name = name;

            const json& dtype = value["dtype"];
            const auto known = std::find_if(std::begin(k_dtype_codes), std::end(k_dtype_codes),
                                            [&](const dtype_code& c) { return dtype.is_string() && dtype == c.code; });
            if (known == std::end(k_dtype_codes))
            {
                corrupt(path, detail::str(tensor, " dtype must be one of ", supported_codes(), ", got ", shown(dtype)));
            }
            e.dt = known->dt;
            e.code = known->code;

            const json& shape = value["shape"];
            if (!shape.is_array() || !std::all_of(shape.begin(), shape.end(), is_count))
            {
                corrupt(path, detail::str(tensor, " shape must be an array of non-negative integers, got ",
                                          shown(shape)));
            }
            // The byte count of the non-zero dims must fit in int64: then neither this product
            // nor shape_numel's (in any order) can overflow, even when a zero dim follows.
            const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
            std::uint64_t bytes = dtype_size(e.dt);
            bool has_zero = false;
            for (const json& d : shape)
            {
                const std::uint64_t n = d.get<std::uint64_t>();
                e.shape.push_back(static_cast<std::int64_t>(n));
                if (n == 0)
                {
                    has_zero = true;
                }
                else if (bytes > limit / n)
                {
                    corrupt(path, detail::str(tensor, " shape must hold fewer than 2^63 bytes, got ", shown(shape)));
                }
                else
                {
                    bytes *= n;
                }
            }
            if (has_zero)
            {
                bytes = 0;
            }

            const json& offsets = value["data_offsets"];
            if (!offsets.is_array() || offsets.size() != 2 || !is_count(offsets[0]) || !is_count(offsets[1]))
            {
                corrupt(path, detail::str(tensor, " data_offsets must be two non-negative integers, got ",
                                          shown(offsets)));
            }
            e.begin = offsets[0].get<std::uint64_t>();
            e.end = offsets[1].get<std::uint64_t>();
            if (e.begin > e.end)
            {
                corrupt(path, detail::str(tensor, " data_offsets must have begin <= end, got ", shown(offsets)));
            }
            if (e.end > data_size)
            {
                corrupt(path, detail::str(tensor, " data_offsets must lie within the ", data_size,
                                          "-byte data section, got ", shown(offsets)));
            }
            if (e.end - e.begin != bytes)
            {
                corrupt(path, detail::str(tensor, " data_offsets must span ", bytes, " bytes (shape ", shown(shape),
                                          " of ", e.code, "), got ", shown(offsets)));
            }
            return e;
        }

        // The entries, in byte order, must cover [0, data_size) exactly: no overlap (two
        // arrays sharing bytes), no gap and no trailing bytes (data nobody accounts for).
        void check_tiling(const std::vector<header_entry>& entries, std::uint64_t data_size, const std::string& path)
        {
            std::vector<std::size_t> order(entries.size());
            std::iota(order.begin(), order.end(), std::size_t{0});
            // Ties on begin are zero-size arrays (or an overlap); ordering them by end puts the
            // empty ones first, where they fit.
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return std::make_pair(entries[a].begin, entries[a].end) <
                       std::make_pair(entries[b].begin, entries[b].end);
            });
            std::uint64_t expected = 0;
            const header_entry* previous = nullptr;
            for (const std::size_t i : order)
            {
                const header_entry& e = entries[i];
                if (e.begin != expected)
                {
                    const std::string where = previous ? detail::str("where tensor \"", previous->name, "\" ends")
                                                       : std::string("the start of the data section");
                    corrupt(path, detail::str("tensor \"", e.name, "\" must start at byte ", expected, ", ", where,
                                              ", got data_offsets [", e.begin, ",", e.end, "]"));
                }
                expected = e.end;
                previous = &e;
            }
            if (expected != data_size)
            {
                corrupt(path, detail::str("the data section must end where the last tensor ends (byte ", expected,
                                          "), got ", data_size, " bytes"));
            }
        }
    }

    bool named_arrays::contains(const std::string& name) const
    {
        return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.first == name; });
    }

    const array& named_arrays::at(const std::string& name) const
    {
        for (const auto& e : entries)
        {
            if (e.first == name)
            {
                return e.second;
            }
        }
        throw std::out_of_range(detail::str("named_arrays::at: name must be one of the ", entries.size(),
                                            " entries, got \"", name, "\""));
    }

    array& named_arrays::at(const std::string& name)
    {
        return const_cast<array&>(static_cast<const named_arrays&>(*this).at(name));
    }

    void named_arrays::add(const std::string& name, array a)
    {
        if (contains(name))
        {
            throw std::invalid_argument(
                detail::str("named_arrays::add: names must be unique, got \"", name, "\" twice"));
        }
        if (!a.defined())
        {
            throw std::invalid_argument(
                detail::str("named_arrays::add: the array must be defined, got an undefined array for \"", name, "\""));
        }
        entries.emplace_back(name, std::move(a));
    }

    void save_safetensors(const std::string& path, const named_arrays& arrays)
    {
        // Everything that can be wrong with the input is found before the file is touched.
        json header = json::object();
        json metadata = json::object();
        for (const auto& [key, value] : arrays.metadata)
        {
            metadata[key] = value;
        }
        for (const auto& [key, value] : {std::make_pair(safetensors_format_key, safetensors_format),
                                         std::make_pair(safetensors_version_key, safetensors_version)})
        {
            const auto given = arrays.metadata.find(key);
            if (given != arrays.metadata.end() && given->second != value)
            {
                throw std::invalid_argument(detail::str("save_safetensors: metadata \"", key, "\" must be \"", value,
                                                        "\" (adjoint writes it), got \"", given->second, "\""));
            }
            metadata[key] = value;
        }
        header[k_metadata_key] = std::move(metadata);   // first, as the reference implementation writes it

        std::set<std::string> names;
        std::uint64_t offset = 0;
        for (const auto& [name, a] : arrays.entries)
        {
            if (name == k_metadata_key)
            {
                throw std::invalid_argument(
                    "save_safetensors: array names must differ from \"__metadata__\" (the header's metadata key), "
                    "got \"__metadata__\"");
            }
            if (!names.insert(name).second)
            {
                throw std::invalid_argument(
                    detail::str("save_safetensors: array names must be unique, got \"", name, "\" twice"));
            }
            if (!a.defined())
            {
                throw std::invalid_argument(
                    detail::str("save_safetensors: arrays must be defined, got an undefined array \"", name, "\""));
            }
            const std::uint64_t end = offset + a.nbytes();
            header[name] = {{"dtype", code_of(a.dtype())}, {"shape", a.shape()}, {"data_offsets", {offset, end}}};
            offset = end;
        }
        std::string text;
        try
        {
            text = header.dump();
        }
        catch (const json::type_error&)   // strings that are not UTF-8 cannot be JSON
        {
            throw std::invalid_argument("save_safetensors: array names and metadata must be valid UTF-8");
        }
        // Spaces up to a multiple of 8 keep the data section 8-byte aligned in the file.
        text.append((8 - text.size() % 8) % 8, ' ');

        unsigned char length[8];
        for (int i = 0; i < 8; ++i)
        {
            length[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
        }
        detail::atomic_file out(path, "save_safetensors");
        out.write(length, 8);
        out.write(text.data(), text.size());
        for (const auto& entry : arrays.entries)
        {
            out.write(entry.second.data_ptr(), entry.second.nbytes());
        }
        out.commit();
    }

    named_arrays load_safetensors(const std::string& path)
    {
        const input_file in(path);
        const std::uint64_t size = in.size();
        if (size < 8)
        {
            corrupt(path, detail::str("the file must start with an 8-byte header length, got ", size, " bytes"));
        }
        unsigned char length[8];
        in.read_at(0, length, 8);
        std::uint64_t header_size = 0;
        for (int i = 7; i >= 0; --i)
        {
            header_size = (header_size << 8) | length[i];
        }
        if (header_size > k_max_header_bytes)
        {
            corrupt(path, detail::str("the header length must be at most ", k_max_header_bytes, " bytes, got ",
                                      header_size));
        }
        if (header_size > size - 8)
        {
            corrupt(path, detail::str("the header length must fit in the ", size - 8,
                                      " bytes after it, got ", header_size));
        }
        std::string text(header_size, '\0');
        in.read_at(8, text.data(), header_size);
        const json header = parse_header(text, path);
        if (!header.is_object())
        {
            corrupt(path, detail::str("the header must be a JSON object, got ", shown(header)));
        }

        const std::uint64_t data_start = 8 + header_size;
        const std::uint64_t data_size = size - data_start;
        named_arrays result;
        std::vector<header_entry> entries;
        for (const auto& [key, value] : header.items())
        {
            if (key == k_metadata_key)
            {
                result.metadata = parse_metadata(value, path);
            }
            else
            {
                entries.push_back(parse_entry(key, value, data_size, path));
            }
        }
        check_tiling(entries, data_size, path);
        const auto format = result.metadata.find(safetensors_format_key);
        const auto version = result.metadata.find(safetensors_version_key);
        if (format != result.metadata.end() && format->second == safetensors_format &&
            (version == result.metadata.end() || version->second != safetensors_version))
        {
            throw std::runtime_error(detail::str(
                "load_safetensors: '", path, "' has format version \"",
                version == result.metadata.end() ? "" : version->second, "\"; this build of adjoint reads version \"",
                safetensors_version, "\""));
        }

        // Only now, with every byte accounted for, is anything allocated: at most the file's size.
        result.entries.reserve(entries.size());
        for (const header_entry& e : entries)
        {
            array a = array::empty(e.shape, e.dt);
            in.read_at(data_start + e.begin, a.mutable_data_ptr(), e.end - e.begin);
            result.entries.emplace_back(e.name, std::move(a));
        }
        return result;
    }
}
