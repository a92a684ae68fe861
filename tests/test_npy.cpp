// .npy round trips, a file written by NumPy, corrupt files reported (not trusted), atomic saves.
#include "address_space_limit.hpp"

#include <adjoint/adjoint.hpp>
#include <adjoint/testing/testing.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace adjoint;

namespace
{
    std::string temp_path(const std::string& name)
    {
        return (std::string(::testing::TempDir()) + "adjoint_" + name);
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

    // A version 1.0 file with `header` (the dict text) padded as NumPy pads it, then `data`.
    std::string npy_bytes(const std::string& header, const std::string& data)
    {
        std::string h = header;
        h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
        h.push_back('\n');
        std::string out = "\x93NUMPY\x01";
        out.push_back('\0');
        out.push_back(static_cast<char>(h.size() & 0xff));
        out.push_back(static_cast<char>(h.size() >> 8));
        return out + h + data;
    }

    // Writes a hand-made file into the temp dir and returns its path.
    std::string write_npy(const std::string& name, const std::string& header, const std::string& data)
    {
        const std::string p = temp_path(name);
        write_bytes(p, npy_bytes(header, data));
        return p;
    }

    std::string not_valid(const std::string& path, const std::string& what)
    {
        return "load_npy: '" + path + "' is not a valid .npy file: " + what;
    }

    std::string error_of(const std::string& path)
    {
        try
        {
            load_npy(path);
        }
        catch (const std::runtime_error& e)
        {
            return e.what();
        }
        return "no error";
    }
}

TEST(Npy, RoundTripBothDtypesAndScalar)
{
    for (auto dt : {float32, float64})
    {
        const Tensor t = tensor({{1.5, -2.0, 3.25}, {0.0, 1e-3, 7.0}}, dt);
        const std::string p = temp_path("rt.npy");
        save_npy(t, p);
        const Tensor back = load_npy(p);
        EXPECT_EQ(back.dtype(), dt);
        EXPECT_TENSOR_NEAR(back, t, 0.0, 0.0);
    }
    const std::string p = temp_path("scalar.npy");
    save_npy(scalar(4.0, float64), p);
    EXPECT_TENSOR_SHAPE(load_npy(p), {});
    EXPECT_EQ(load_npy(p).item(), 4.0);
}

TEST(Npy, ReadsAFileWrittenByNumpy)
{
    // tests/fixtures/npy/arange_2x3.npy = np.arange(6, dtype=np.float64).reshape(2, 3)
    const Tensor t = load_npy(std::string(ADJOINT_FIXTURES) + "/npy/arange_2x3.npy");
    EXPECT_TENSOR_NEAR(t, tensor({{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}}, float64), 0.0, 0.0);
}

TEST(Npy, CorruptFilesAreReported)
{
    const std::string good = temp_path("good.npy");
    save_npy(tensor({1.0, 2.0, 3.0}, float64), good);
    const std::string bytes = read_bytes(good);

    const std::string truncated = temp_path("truncated.npy");
    write_bytes(truncated, bytes.substr(0, bytes.size() - 4));
    EXPECT_NE(error_of(truncated).find("data is truncated: shape (3,) needs 24 bytes, got 20"), std::string::npos)
        << error_of(truncated);

    const std::string trailing = temp_path("trailing.npy");
    write_bytes(trailing, bytes + "xx");
    EXPECT_NE(error_of(trailing).find("trailing bytes"), std::string::npos) << error_of(trailing);

    const std::string magic = temp_path("magic.npy");
    write_bytes(magic, "PK\x03\x04 not an npy file");
    EXPECT_NE(error_of(magic).find("magic"), std::string::npos) << error_of(magic);

    std::string int_bytes = bytes;
    int_bytes.replace(int_bytes.find("<f8"), 3, "<i4");
    const std::string ints = temp_path("ints.npy");
    write_bytes(ints, int_bytes);
    EXPECT_NE(error_of(ints).find("only little-endian float32"), std::string::npos) << error_of(ints);

    EXPECT_NE(error_of(temp_path("missing.npy")).find("cannot open"), std::string::npos);
}

TEST(Npy, SaveIntoAMissingFolderFailsWithoutLeavingFiles)
{
    const std::string dir = temp_path("no_such_folder");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "save_npy: cannot create a temporary file next to '" + dir +
                             "/a.npy': No such file or directory",
                         save_npy(tensor({1.0}), dir + "/a.npy"));
}

TEST(Npy, SavingReplacesTheFileAndLeavesNoTemporary)
{
    const std::string p = temp_path("replace.npy");
    save_npy(tensor({1.0, 2.0}), p);
    save_npy(tensor({3.0}, float64), p);
    EXPECT_TENSOR_NEAR(load_npy(p), tensor({3.0}, float64), 0.0, 0.0);
    for (const auto& e : std::filesystem::directory_iterator(::testing::TempDir()))
    {
        EXPECT_NE(e.path().filename().string().rfind("adjoint_replace.npy.tmp", 0), 0u) << e.path();
    }
}

TEST(Npy, ClaimedSizesAreCheckedAgainstTheFileBeforeAllocating)
{
    // 400 GB claimed by a 152-byte file: reported as truncated, not a std::bad_alloc.
    const std::string huge = write_npy("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }",
                                       std::string(24, '\0'));
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         not_valid(huge, "data is truncated: shape (99999999999,) needs 399999999996 bytes, got 24"),
                         load_npy(huge));

    // 4 GiB claimed by a 136-byte file: nothing is reserved before the check, which the cap on
    // the address space turns from a silent reservation into a failure.
    const std::string four_gib = write_npy(
        "four_gib.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824,), }", std::string(8, '\0'));
    {
        const adjoint_test::address_space_limit limit(std::uint64_t(1) << 30);
        ASSERT_TRUE(limit.active());
        EXPECT_THROW_MESSAGE(std::runtime_error,
                             not_valid(four_gib, "data is truncated: shape (1073741824,) needs 4294967296 bytes, got 8"),
                             load_npy(four_gib));
    }

    // Counts that int64 cannot hold (std::bad_array_new_length, or a wrapped count that loaded).
    const std::string wraps = write_npy(
        "wraps.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3074457345618258603, 3), }", "");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         not_valid(wraps, "shape (3074457345618258603, 3) has more elements than int64 can count"),
                         load_npy(wraps));
    const std::string wraps_to_two = write_npy(
        "wraps_to_two.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 6148914691236517206), }",
        std::string(8, '\0'));
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         not_valid(wraps_to_two, "shape (3, 6148914691236517206) has more elements than int64 can count"),
                         load_npy(wraps_to_two));
    // The count fits but its bytes do not.
    const std::string bytes_wrap = write_npy(
        "bytes_wrap.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", "");
    EXPECT_THROW_MESSAGE(
        std::runtime_error,
        not_valid(bytes_wrap, "data is truncated: shape (2305843009213693952,) needs 2305843009213693952*8 bytes, got 0"),
        load_npy(bytes_wrap));
}

TEST(Npy, LongHeaderValuesAreReadWithoutRecursion)
{
    // 50,000-character values, well inside the 1 MiB header limit: std::regex overflowed the stack.
    const std::string long_descr = write_npy(
        "long_descr.npy", "{'descr': '<" + std::string(50000, 'f') + "', 'fortran_order': False, 'shape': (1,), }",
        std::string(4, '\0'));
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "load_npy: '" + long_descr + "' holds dtype '<" + std::string(39, 'f') +
                             "...'; only little-endian float32 ('<f4'), float64 ('<f8') and int64 ('<i8') are supported",
                         load_npy(long_descr));

    const std::string spaced = write_npy(
        "spaced.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2," + std::string(50000, ' ') + "), }",
        std::string(8, '\0'));
    EXPECT_TENSOR_SHAPE(load_npy(spaced), {2});

    std::string ones = "(";
    for (int i = 0; i < 12500; ++i)
    {
        ones += "1, ";
    }
    const std::string many_dims =
        write_npy("many_dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': " + ones + "), }",
                  std::string(4, '\0'));
    EXPECT_EQ(load_npy(many_dims).dim(), 12500);
}

TEST(Npy, HeaderIsReadAsTheDictLiteralItIs)
{
    const std::string four_bytes(4, '\0');
    const auto expect_invalid = [&](const std::string& name, const std::string& header, const std::string& what) {
        const std::string p = write_npy(name, header, four_bytes);
        EXPECT_THROW_MESSAGE(std::runtime_error, not_valid(p, "header: " + what), load_npy(p)) << header;
    };
    expect_invalid("dup.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }",
                   "the key 'shape' appears twice");
    expect_invalid("unknown.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'order': 'C'}",
                   "unknown key 'order'; only 'descr', 'fortran_order' and 'shape' are allowed");
    expect_invalid("missing_key.npy", "{'descr': '<f4', 'shape': (1,)}", "the key 'fortran_order' is missing");
    expect_invalid("garbage.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
                   "expected only whitespace after the closing '}', found 'x' at offset 56");
    expect_invalid("unclosed.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
                   "expected ',' or '}' after the value of 'shape', found the end of the header");
    // A 'descr' inside another key's string is just text in that string.
    expect_invalid("hidden.npy", "{'fortran_order': False, 'shape': (1,), 'note': \"'descr': '<f4'\"}",
                   "unknown key 'note'; only 'descr', 'fortran_order' and 'shape' are allowed");
    expect_invalid("not_tuple.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
                   "the value of 'shape' must be a tuple, got (1) (a 1-tuple is written (1,))");
    expect_invalid("negative.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
                   "expected a non-negative integer in the value of 'shape', found '-' at offset 51");
    expect_invalid("big_dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                   "the dimension 99999999999999999999 in the value of 'shape' does not fit in int64");
    expect_invalid("bool.npy", "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
                   "expected True or False as the value of 'fortran_order', found '0' at offset 34");
    expect_invalid("descr_type.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
                   "expected a quoted string as the value of 'descr', found '[' at offset 10");
    expect_invalid("not_dict.npy", "('descr', '<f4')", "expected '{' at the start of the header, found '(' at offset 0");

    // What Python allows and NumPy has written: double quotes, no trailing comma, 'L' suffixes,
    // a comma after the last dimension, and any whitespace between tokens.
    const std::string p = write_npy("variants.npy",
                                    "{\"shape\":(1L,1,2,),\n\t'fortran_order' :True , \"descr\": '<f4'}", "");
    EXPECT_THROW_MESSAGE(std::runtime_error,
                         "load_npy: '" + p + "' is in Fortran order; save it with np.ascontiguousarray first",
                         load_npy(p));
    const std::string q = write_npy("variants2.npy", "{\"shape\":(1L, 1, 2), 'fortran_order':False,'descr':'<f4'}",
                                    std::string(8, '\0'));
    EXPECT_TENSOR_SHAPE(load_npy(q), {1, 1, 2});
}

TEST(Npy, Int64RoundTripIsExact)
{
    array a = array::empty({3}, int64);
    a.data<std::int64_t>()[0] = -7;
    a.data<std::int64_t>()[1] = (std::int64_t{1} << 53) + 1;   // no double holds it
    a.data<std::int64_t>()[2] = 0;
    const std::string path = temp_path("ints64.npy");
    save_npy(Tensor(a), path);
    const Tensor back = load_npy(path);
    ASSERT_EQ(back.dtype(), int64);
    EXPECT_EQ(back.data().data<std::int64_t>()[1], (std::int64_t{1} << 53) + 1);
    EXPECT_EQ(back.data().data<std::int64_t>()[0], -7);
}
