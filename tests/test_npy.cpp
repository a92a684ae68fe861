// .npy round trips, a file written by NumPy, corrupt files reported (not trusted), atomic saves.
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
    int_bytes.replace(int_bytes.find("<f8"), 3, "<i8");
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
