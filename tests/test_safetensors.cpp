// safetensors files (core/safetensors.hpp): round trips of every dtype, the exact bytes of a
// small file, the named_arrays container, invalid input to save, every kind of corrupt file
// (hand-made, each with its exact message), and a full disk. Python interop is in
// test_safetensors_interop.cpp.
#include <adjoint/core/safetensors.hpp>
#include <adjoint/testing/testing.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace adjoint;

namespace
{
    // A new empty folder per test, so that leftover temporary files can be seen.
    std::string fresh_dir(const std::string& name)
    {
        std::string templ = std::string(::testing::TempDir()) + "adjoint_st_" + name + "_XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr)
        {
            ADD_FAILURE() << "mkdtemp failed for " << templ;
        }
        return templ;
    }

    std::vector<std::string> files_in(const std::string& dir)
    {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir))
        {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    void write_bytes(const std::string& path, const std::string& bytes)
    {
        std::ofstream(path, std::ios::binary) << bytes;
    }

    std::string read_bytes(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    std::string le64(std::uint64_t n)
    {
        std::string s(8, '\0');
        for (int i = 0; i < 8; ++i)
        {
            s[i] = static_cast<char>(n >> (8 * i));
        }
        return s;
    }

    // A file with the given header text and `data_bytes` zero bytes of data.
    std::string hand_made(const std::string& dir, const std::string& header, std::size_t data_bytes)
    {
        static int count = 0;
        const std::string path = dir + "/hand_made_" + std::to_string(count++) + ".safetensors";
        write_bytes(path, le64(header.size()) + header + std::string(data_bytes, '\0'));
        return path;
    }

    std::string invalid(const std::string& path)
    {
        return "load_safetensors: '" + path + "' is not a valid safetensors file: ";
    }

    std::string raw(const array& a)
    {
        return std::string(static_cast<const char*>(a.data_ptr()), a.nbytes());
    }

    // Same names in the same order, same dtypes and shapes, and bit-identical values.
    void expect_same(const named_arrays& got, const named_arrays& want)
    {
        ASSERT_EQ(got.entries.size(), want.entries.size());
        for (std::size_t i = 0; i < want.entries.size(); ++i)
        {
            const auto& [name, a] = got.entries[i];
            EXPECT_EQ(name, want.entries[i].first);
            EXPECT_EQ(a.dtype(), want.entries[i].second.dtype()) << name;
            EXPECT_EQ(a.shape(), want.entries[i].second.shape()) << name;
            EXPECT_EQ(raw(a), raw(want.entries[i].second)) << name;
        }
    }

    named_arrays sample()
    {
        const double inf = std::numeric_limits<double>::infinity();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        named_arrays s;
        s.add("conv.weight", array::from_values({1.5, -0.0, inf, -inf, nan, 1e-45}, {1, 2, 3}, float32));
        s.add("scale", array::from_values({1.0 / 3.0}, {}, float64));
        s.add("empty", array::empty({0, 3}, float32));
        s.add("bias", array::from_values({-2.25, 5e-324, 1e308, 7.0, 8.0}, {5, 1}, float64));
        array steps = array::empty({2, 2}, int64);
        const std::int64_t step_values[4] = {0, -1, std::numeric_limits<std::int64_t>::min(),
                                             std::numeric_limits<std::int64_t>::max()};
        std::copy(step_values, step_values + 4, steps.data<std::int64_t>());
        s.add("steps", steps);
        s.add("count", array::from_values({7.0}, {}, int64));
        s.metadata["epoch"] = "12";
        return s;
    }
}

TEST(Safetensors, RoundTripOfEveryDtypeKeepsOrderValuesAndMetadata)
{
    const std::string dir = fresh_dir("round_trip");
    const std::string p = dir + "/model.safetensors";
    const named_arrays s = sample();
    save_safetensors(p, s);
    const named_arrays back = load_safetensors(p);
    expect_same(back, s);
    const std::map<std::string, std::string> metadata = {
        {"epoch", "12"}, {"format", "adjoint-safetensors"}, {"version", "1"}};
    EXPECT_EQ(back.metadata, metadata);
    // Saving what was loaded gives the same bytes: the format keys are accepted as they are.
    save_safetensors(dir + "/again.safetensors", back);
    EXPECT_EQ(read_bytes(dir + "/again.safetensors"), read_bytes(p));
    EXPECT_EQ(files_in(dir), (std::vector<std::string>{"again.safetensors", "model.safetensors"}));
}

TEST(Safetensors, EmptyContainerRoundTrips)
{
    const std::string dir = fresh_dir("empty");
    save_safetensors(dir + "/e.safetensors", named_arrays{});
    const named_arrays back = load_safetensors(dir + "/e.safetensors");
    EXPECT_TRUE(back.entries.empty());
    EXPECT_EQ(back.metadata.size(), 2u);
}

TEST(Safetensors, WritesTheReferenceLayoutByteForByte)
{
    const std::string dir = fresh_dir("layout");
    named_arrays s;
    s.add("w", array::from_values({1.0, 2.0}, {2}, float32));
    s.add("z", array::empty({0}, float64));
    save_safetensors(dir + "/w.safetensors", s);
    const std::string json = "{\"__metadata__\":{\"format\":\"adjoint-safetensors\",\"version\":\"1\"},"
                             "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                             "\"z\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[8,8]}}";
    const std::string header = json + std::string((8 - json.size() % 8) % 8, ' ');
    const float values[2] = {1.0f, 2.0f};
    EXPECT_EQ(read_bytes(dir + "/w.safetensors"),
              le64(header.size()) + header + std::string(reinterpret_cast<const char*>(values), 8));
    EXPECT_EQ(header.size() % 8, 0u);
}

TEST(Safetensors, ZeroSizeArraysMayShareAnOffsetWithTheirNeighbours)
{
    const std::string dir = fresh_dir("zero_size");
    const std::string p = hand_made(dir,
                                    "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                    "\"a\":{\"dtype\":\"F64\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                                    "\"c\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[8,8]}}",
                                    8);
    const named_arrays back = load_safetensors(p);
    ASSERT_EQ(back.entries.size(), 3u);
    EXPECT_EQ(back.entries[0].first, "b");   // header order, not byte order
    EXPECT_EQ(back.entries[1].first, "a");
    EXPECT_EQ(back.at("a").shape(), (shape_t{0, 5}));
    EXPECT_EQ(back.at("b").to_vector(), (std::vector<double>{0.0, 0.0}));
    EXPECT_TRUE(back.metadata.empty());
}

TEST(Safetensors, NamedArraysLooksUpByName)
{
    named_arrays s = sample();
    EXPECT_TRUE(s.contains("scale"));
    EXPECT_FALSE(s.contains("missing"));
    EXPECT_EQ(s.at("scale").item(), 1.0 / 3.0);
    s.at("scale") = array::full({}, 2.0, float64);
    EXPECT_EQ(s.at("scale").item(), 2.0);
    EXPECT_THROW_MESSAGE(std::out_of_range, "named_arrays::at: name must be one of the 6 entries, got \"missing\"",
                         s.at("missing"));
    EXPECT_THROW_MESSAGE(std::invalid_argument, "named_arrays::add: names must be unique, got \"bias\" twice",
                         s.add("bias", array::full({1}, 0.0)));
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "named_arrays::add: the array must be defined, got an undefined array for \"u\"",
                         s.add("u", array()));
    EXPECT_EQ(s.entries.size(), 6u);
}

TEST(Safetensors, UnsavableInputIsRejectedBeforeTheFileIsTouched)
{
    const std::string dir = fresh_dir("unsavable");
    const std::string p = dir + "/keep.safetensors";
    save_safetensors(p, sample());
    const std::string before = read_bytes(p);
    const array one = array::full({1}, 1.0);

    named_arrays twice;
    twice.entries = {{"w", one}, {"v", one}, {"w", one}};
    EXPECT_THROW_MESSAGE(std::invalid_argument, "save_safetensors: array names must be unique, got \"w\" twice",
                         save_safetensors(p, twice));
    named_arrays reserved;
    reserved.entries = {{"__metadata__", one}};
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "save_safetensors: array names must differ from \"__metadata__\" (the header's metadata "
                         "key), got \"__metadata__\"",
                         save_safetensors(p, reserved));
    named_arrays undefined;
    undefined.entries = {{"u", array()}};
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "save_safetensors: arrays must be defined, got an undefined array \"u\"",
                         save_safetensors(p, undefined));
    named_arrays foreign;
    foreign.metadata["format"] = "pt";
    EXPECT_THROW_MESSAGE(std::invalid_argument,
                         "save_safetensors: metadata \"format\" must be \"adjoint-safetensors\" (adjoint writes it), "
                         "got \"pt\"",
                         save_safetensors(p, foreign));
    named_arrays not_utf8;
    not_utf8.add("bad\xff", one);
    EXPECT_THROW_MESSAGE(std::invalid_argument, "save_safetensors: array names and metadata must be valid UTF-8",
                         save_safetensors(p, not_utf8));

    EXPECT_EQ(read_bytes(p), before);
    EXPECT_EQ(files_in(dir), std::vector<std::string>{"keep.safetensors"});
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "save_safetensors: cannot create a temporary file next to '" + dir +
                             "/no/such/folder.safetensors': No such file or directory",
                         save_safetensors(dir + "/no/such/folder.safetensors", sample()));
}

TEST(Safetensors, FilesThatCannotBeOpenedAreReported)
{
    const std::string dir = fresh_dir("open");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "load_safetensors: cannot open '" + dir + "/missing': No such file or directory",
                         load_safetensors(dir + "/missing"));
    EXPECT_THROW_MESSAGE(std::runtime_error, "load_safetensors: '" + dir + "' is not a regular file",
                         load_safetensors(dir));
}

TEST(Safetensors, CorruptLengthOrHeaderIsReported)
{
    const std::string dir = fresh_dir("corrupt_header");
    const std::string p = dir + "/bad.safetensors";

    write_bytes(p, "abc");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         invalid(p) + "the file must start with an 8-byte header length, got 3 bytes",
                         load_safetensors(p));
    write_bytes(p, le64(std::numeric_limits<std::uint64_t>::max()) + "{}");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         invalid(p) + "the header length must be at most 100000000 bytes, got 18446744073709551615",
                         load_safetensors(p));
    write_bytes(p, le64(100) + "{}        ");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         invalid(p) + "the header length must fit in the 10 bytes after it, got 100",
                         load_safetensors(p));

    const auto header_error = [&](const std::string& header, const std::string& message) {
        const std::string file = hand_made(dir, header, 0);
        EXPECT_THROW_MESSAGE(std::runtime_error, invalid(file) + message, load_safetensors(file));
    };
    header_error("{\"w\": ", "the header must be JSON, got JSON cut short after 6 bytes");
    header_error("{} x", "the header must be JSON, got a syntax error at byte offset 3");
    header_error("{\"w\": tru}", "the header must be JSON, got a syntax error at byte offset 9");
    // Found by fuzz_safetensors: nlohmann refuses an overflowing number with out_of_range.
    header_error("{\"w\": {\"shape\": [1e999]}}",
                 "the header must be JSON with numbers a double can hold, got a number that overflows");
    header_error("{\"w\": 9223379223392233720368547758077203685477580772e568}",
                 "the header must be JSON with numbers a double can hold, got a number that overflows");
    header_error("[1, 2]", "the header must be a JSON object, got [1,2]");
    header_error("\"text\"", "the header must be a JSON object, got \"text\"");
    header_error(std::string(20, '[') + std::string(20, ']'), "the header must nest at most 16 levels deep");
    header_error("{\"w\": {}, \"v\": {}, \"w\": {}}", "the header must not repeat a key, got \"w\" twice");
    header_error("{\"w\": {\"dtype\": \"F32\", \"dtype\": \"F64\"}}",
                 "the header must not repeat a key, got \"dtype\" twice");
    header_error("{\"__metadata__\": [1]}", "\"__metadata__\" must be an object of strings, got [1]");
    header_error("{\"__metadata__\": {\"a\": \"b\", \"n\": 1}}",
                 "\"__metadata__\" value of \"n\" must be a string, got 1");
}

TEST(Safetensors, CorruptEntriesAreReported)
{
    const std::string dir = fresh_dir("corrupt_entries");
    // One entry "w" with the given fields, and `data` bytes of data.
    const auto entry_error = [&](const std::string& fields, std::size_t data, const std::string& message) {
        const std::string file = hand_made(dir, "{\"w\": " + fields + "}", data);
        EXPECT_THROW_MESSAGE(std::runtime_error, invalid(file) + message, load_safetensors(file));
    };
    entry_error("5", 0, "tensor \"w\" must be an object, got 5");
    entry_error("{\"dtype\": \"F32\", \"shape\": [1]}", 4,
                "tensor \"w\" must have exactly the keys [\"dtype\",\"shape\",\"data_offsets\"], got "
                "[\"dtype\",\"shape\"]");
    entry_error("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 0}", 4,
                "tensor \"w\" must have exactly the keys [\"dtype\",\"shape\",\"data_offsets\"], got "
                "[\"dtype\",\"shape\",\"data_offsets\",\"x\"]");
    entry_error("{\"dtype\": \"BF16\", \"shape\": [1], \"data_offsets\": [0, 2]}", 2,
                "tensor \"w\" dtype must be one of \"F32\", \"F64\", \"I64\", got \"BF16\"");
    entry_error("{\"dtype\": 4, \"shape\": [1], \"data_offsets\": [0, 4]}", 4,
                "tensor \"w\" dtype must be one of \"F32\", \"F64\", \"I64\", got 4");
    for (const std::string shape : {"[2, -1]", "[2.0]", "[\"2\"]", "[[2]]", "2", "[18446744073709551615]"})
    {
        entry_error("{\"dtype\": \"F32\", \"shape\": " + shape + ", \"data_offsets\": [0, 8]}", 8,
                    "tensor \"w\" shape must be an array of non-negative integers, got " +
                        (shape == "[2, -1]" ? std::string("[2,-1]") : shape));
    }
    // 2^31 * 2^31 floats are 2^64 bytes; a zero dim does not excuse it (shape_numel would overflow).
    for (const std::string shape : {"[2147483648,2147483648]", "[2147483648,2147483648,0]"})
    {
        entry_error("{\"dtype\": \"F32\", \"shape\": " + shape + ", \"data_offsets\": [0, 0]}", 0,
                    "tensor \"w\" shape must hold fewer than 2^63 bytes, got " + shape);
    }
    for (const std::string offsets : {"[0]", "[0,8,8]", "[0,\"8\"]", "[0,8.0]", "[-1,7]", "{}"})
    {
        entry_error("{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": " + offsets + "}", 8,
                    "tensor \"w\" data_offsets must be two non-negative integers, got " + offsets);
    }
    entry_error("{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8,0]}", 8,
                "tensor \"w\" data_offsets must have begin <= end, got [8,0]");
    entry_error("{\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [0,32]}", 8,
                "tensor \"w\" data_offsets must lie within the 8-byte data section, got [0,32]");
    entry_error("{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0,8]}", 8,
                "tensor \"w\" data_offsets must span 12 bytes (shape [3] of F32), got [0,8]");
    entry_error("{\"dtype\": \"F64\", \"shape\": [], \"data_offsets\": [0,4]}", 4,
                "tensor \"w\" data_offsets must span 8 bytes (shape [] of F64), got [0,4]");
}

TEST(Safetensors, EntriesMustTileTheDataSection)
{
    const std::string dir = fresh_dir("tiling");
    const auto f32 = [](const std::string& name, int begin, int end) {
        return "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": [" + std::to_string((end - begin) / 4) +
               "], \"data_offsets\": [" + std::to_string(begin) + "," + std::to_string(end) + "]}";
    };
    const auto tiling_error = [&](const std::string& entries, std::size_t data, const std::string& message) {
        const std::string file = hand_made(dir, "{" + entries + "}", data);
        EXPECT_THROW_MESSAGE(std::runtime_error, invalid(file) + message, load_safetensors(file));
    };
    tiling_error(f32("a", 0, 8) + ", " + f32("b", 4, 12), 12,
                 "tensor \"b\" must start at byte 8, where tensor \"a\" ends, got data_offsets [4,12]");
    tiling_error(f32("b", 12, 20) + ", " + f32("a", 0, 8), 20,
                 "tensor \"b\" must start at byte 8, where tensor \"a\" ends, got data_offsets [12,20]");
    tiling_error(f32("a", 0, 8) + ", " + f32("b", 0, 8), 8,
                 "tensor \"b\" must start at byte 8, where tensor \"a\" ends, got data_offsets [0,8]");
    tiling_error(f32("a", 4, 12), 12,
                 "tensor \"a\" must start at byte 0, the start of the data section, got data_offsets [4,12]");
    tiling_error(f32("a", 0, 8), 12, "the data section must end where the last tensor ends (byte 8), got 12 bytes");
    tiling_error("", 4, "the data section must end where the last tensor ends (byte 0), got 4 bytes");
}

TEST(Safetensors, NewerFormatVersionsAreRefused)
{
    const std::string dir = fresh_dir("version");
    const std::string p =
        hand_made(dir, "{\"__metadata__\": {\"format\": \"adjoint-safetensors\", \"version\": \"2\"}}", 0);
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "load_safetensors: '" + p + "' has format version \"2\"; this build of adjoint reads "
                         "version \"1\"",
                         load_safetensors(p));
    // Other writers' metadata is theirs: no format key, or another format, loads as it is.
    const std::string other = hand_made(dir, "{\"__metadata__\": {\"format\": \"pt\"}}", 0);
    EXPECT_EQ(load_safetensors(other).metadata.at("format"), "pt");
}

TEST(Safetensors, FullDiskFailsCleanlyAndKeepsThePreviousFile)
{
    const std::string dir = fresh_dir("full_disk");
    const std::string p = dir + "/ckpt.safetensors";
    const named_arrays previous = sample();
    save_safetensors(p, previous);
    const std::string before = read_bytes(p);

    named_arrays big;
    big.add("w", array::full({100000}, 1.0));   // 400 kB against a 64 kB file-size limit

    // The limit and the ignored SIGXFSZ (else the kernel kills the writer) stay in a child.
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const ::pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
    {
        ::close(pipe_fds[0]);
        ::signal(SIGXFSZ, SIG_IGN);
        const ::rlimit limit{64 * 1024, 64 * 1024};
        std::string message = "setrlimit failed";
        if (::setrlimit(RLIMIT_FSIZE, &limit) == 0)
        {
            message = "no error";
            try
            {
                save_safetensors(p, big);
            }
            catch (const std::exception& e)
            {
                message = e.what();
            }
        }
        const ::ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
        ::_exit(written == static_cast<::ssize_t>(message.size()) ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    std::string message;
    char buffer[512];
    for (::ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    {
        message.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    EXPECT_EQ(message, "save_safetensors: writing '" + p + "' failed: File too large");
    EXPECT_EQ(read_bytes(p), before);
    EXPECT_EQ(files_in(dir), std::vector<std::string>{"ckpt.safetensors"});   // no temporary left
    expect_same(load_safetensors(p), previous);
}
