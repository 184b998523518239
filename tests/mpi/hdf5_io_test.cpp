// lib/io/hdf5 on 1, 2 and 4 ranks: every rank writes its share of the blocks
// from threads of its own (as tasks would), every rank reads blocks back, and
// the values are checked against the formulas that wrote them. Each read test
// runs with both read drivers (TESSERA_HDF5_DRIVER=sec2 and mpio).
#include "io/hdf5/hdf5_file.hpp"

#include <tessera/compute.hpp>
#include <tessera/delayed.hpp>
#include <tessera/error.hpp>
#include <tessera/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using tessera::DType;
using tessera::InputError;
using tessera::io::Hdf5DatasetSpec;
using tessera::io::Hdf5Writer;
using ::testing::StrEq;
using ::testing::ThrowsMessage;

tessera::Runtime& runtime() { return *tessera::Runtime::current(); }

// The formulas, and the layout of the file the suite writes once.
constexpr std::int64_t rows = 1537, cols = 2311;  // odd: no block size divides them
double a_value(std::int64_t i, std::int64_t j) { return static_cast<double>(i * 10000 + j) + 0.25; }
std::int32_t x_value(std::int64_t i, std::int64_t j) { return static_cast<std::int32_t>(i * 7 + j - 1000); }
bool flag_value(std::int64_t i) { return i % 3 == 0; }
std::uint8_t byte_value(std::int64_t i, std::int64_t j) { return static_cast<std::uint8_t>((i * 19 + j) % 251); }
double cube_value(std::int64_t i, std::int64_t j, std::int64_t k) { return static_cast<double>(i * 10000 + j * 100 + k) - 0.5; }
constexpr std::int64_t cube[3] = {13, 17, 23};  // contiguous: read with plain preads (hdf5_read.cpp)

// Uneven row and column splits (one of a single row, one of a single column),
// straddling the (200, 300) chunks, so that ranks write disjoint parts of one chunk.
const std::vector<std::int64_t> row_cuts = {0, 100, 350, 351, 900, 1537};
const std::vector<std::int64_t> col_cuts = {0, 1000, 1001, 2311};

std::vector<Hdf5DatasetSpec> specs() {
  return {{"/a", DType::float64, {rows, cols}, {200, 300}},
          {"/g/h/x", DType::int32, {301, 7}, {64, 7}},
          {"/flags", DType::bool_, {1000}, {128}},
          {"/bytes", DType::uint8, {17, 19}, {}},
          {"/cube", DType::float64, {cube[0], cube[1], cube[2]}, {}}};
}

struct Block {
  std::size_t dataset;
  std::vector<std::int64_t> offset, count;
};

// Every block of every dataset, in one list; rank r writes blocks r, r + size, ...
std::vector<Block> all_blocks() {
  std::vector<Block> blocks;
  for (std::size_t r = 0; r + 1 < row_cuts.size(); ++r) {
    for (std::size_t c = 0; c + 1 < col_cuts.size(); ++c) {
      blocks.push_back({0, {row_cuts[r], col_cuts[c]}, {row_cuts[r + 1] - row_cuts[r], col_cuts[c + 1] - col_cuts[c]}});
    }
  }
  for (std::int64_t i = 0; i < 301; i += 50) blocks.push_back({1, {i, 0}, {std::min<std::int64_t>(50, 301 - i), 7}});
  for (std::int64_t i = 0; i < 1000; i += 333) blocks.push_back({2, {i}, {std::min<std::int64_t>(333, 1000 - i)}});
  for (std::int64_t i = 0; i < 17; i += 5) blocks.push_back({3, {i, 0}, {std::min<std::int64_t>(5, 17 - i), 19}});
  for (std::int64_t i = 0; i < cube[0]; ++i) blocks.push_back({4, {i, 0, 0}, {1, cube[1], cube[2]}});
  return blocks;
}

void write_block(Hdf5Writer& out, const Block& b) {
  const auto& o = b.offset;
  const auto& n = b.count;
  switch (b.dataset) {
    case 0: {
      std::vector<double> v;
      for (std::int64_t i = 0; i < n[0]; ++i)
        for (std::int64_t j = 0; j < n[1]; ++j) v.push_back(a_value(o[0] + i, o[1] + j));
      out.write(0, o, n, DType::float64, v.data());
      break;
    }
    case 1: {  // given as int64: HDF5 converts to the stored int32
      std::vector<std::int64_t> v;
      for (std::int64_t i = 0; i < n[0]; ++i)
        for (std::int64_t j = 0; j < n[1]; ++j) v.push_back(x_value(o[0] + i, o[1] + j));
      out.write(1, o, n, DType::int64, v.data());
      break;
    }
    case 2: {
      std::vector<char> v;  // bool's bytes: std::vector<bool> has no data()
      for (std::int64_t i = 0; i < n[0]; ++i) v.push_back(flag_value(o[0] + i) ? 1 : 0);
      out.write(2, o, n, DType::bool_, v.data());
      break;
    }
    case 4: {
      std::vector<double> v;
      for (std::int64_t j = 0; j < n[1]; ++j)
        for (std::int64_t k = 0; k < n[2]; ++k) v.push_back(cube_value(o[0], j, k));
      out.write(4, o, n, DType::float64, v.data());
      break;
    }
    default: {
      std::vector<std::uint8_t> v;
      for (std::int64_t i = 0; i < n[0]; ++i)
        for (std::int64_t j = 0; j < n[1]; ++j) v.push_back(byte_value(o[0] + i, o[1] + j));
      out.write(3, o, n, DType::uint8, v.data());
    }
  }
}

// Collective: every rank writes its blocks from two threads at once.
void write_file(const std::string& path) {
  const auto all = specs();
  Hdf5Writer out(path, all);
  const auto blocks = all_blocks();
  const auto rank = static_cast<std::size_t>(runtime().rank()), size = static_cast<std::size_t>(runtime().size());
  std::vector<std::jthread> workers;
  for (std::size_t w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      for (std::size_t k = rank + w * size; k < blocks.size(); k += 2 * size) write_block(out, blocks[k]);
    });
  }
  workers.clear();  // joins
  out.close();
}

std::string test_dir() {
  // TMPDIR is the test's own directory, the same on every rank.
  const fs::path dir = fs::temp_directory_path() / ("hdf5_io_np" + std::to_string(runtime().size()));
  fs::create_directories(dir);
  return dir.string();
}

class Hdf5IoTest : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    path_ = test_dir() + "/written.h5";
    write_file(path_);
  }
  void SetUp() override {
    ::setenv("TESSERA_HDF5_DRIVER", GetParam(), 1);
    tessera::io::hdf5_close_all_cached();
  }
  void TearDown() override { ::unsetenv("TESSERA_HDF5_DRIVER"); }
  static std::string path_;
};
std::string Hdf5IoTest::path_;

TEST_P(Hdf5IoTest, DriverIsTheOneAskedFor) { EXPECT_EQ(tessera::io::hdf5_read_driver(), GetParam()); }

TEST_P(Hdf5IoTest, InfoNamesDtypeShapeAndChunks) {
  auto a = tessera::io::hdf5_dataset_info(path_, "/a");
  EXPECT_EQ(a.dtype, DType::float64);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{rows, cols}));
  EXPECT_EQ(a.chunk_shape, (std::vector<std::int64_t>{200, 300}));
  auto x = tessera::io::hdf5_dataset_info(path_, "g/h/x");  // without the leading slash too
  EXPECT_EQ(x.dtype, DType::int32);
  EXPECT_EQ(x.chunk_shape, (std::vector<std::int64_t>{64, 7}));
  EXPECT_EQ(tessera::io::hdf5_dataset_info(path_, "/flags").dtype, DType::bool_);
  auto bytes = tessera::io::hdf5_dataset_info(path_, "/bytes");
  EXPECT_EQ(bytes.dtype, DType::uint8);
  EXPECT_EQ(bytes.shape, (std::vector<std::int64_t>{17, 19}));
  EXPECT_TRUE(bytes.chunk_shape.empty());
}

TEST_P(Hdf5IoTest, EveryRankReadsBlocksBackFromThreads) {
  const std::int64_t rank = runtime().rank();
  std::vector<std::string> failures(4);
  std::vector<std::jthread> readers;
  for (std::int64_t t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      // Blocks that start anywhere, cross chunk edges, and differ per rank and thread.
      const std::int64_t r0 = (rank * 131 + t * 373) % (rows - 400), c0 = (rank * 17 + t * 611) % (cols - 1300);
      const std::vector<std::int64_t> offset = {r0, c0}, count = {400, 1300};
      std::vector<double> v(400 * 1300);
      tessera::io::hdf5_read(path_, "/a", offset, count, DType::float64, v.data());
      for (std::int64_t i = 0; i < 400 && failures[t].empty(); ++i)
        for (std::int64_t j = 0; j < 1300; ++j)
          if (v[i * 1300 + j] != a_value(r0 + i, c0 + j)) {
            failures[t] = "a[" + std::to_string(r0 + i) + ", " + std::to_string(c0 + j) + "] = " + std::to_string(v[i * 1300 + j]);
            break;
          }
    });
  }
  readers.clear();
  for (const auto& f : failures) EXPECT_EQ(f, "") << "rank " << rank;
}

// A contiguous dataset read as its own dtype skips HDF5's hyperslab code:
// blocks cut along every axis, along the last two only, and whole, from
// threads at once, as float64 (plain reads) and as float32 (HDF5 converts).
TEST_P(Hdf5IoTest, BlocksOfAContiguousDatasetReadRightBothWays) {
  using Box = std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>;
  const std::vector<Box> boxes = {{{2, 3, 5}, {7, 9, 11}},   {{0, 4, 0}, {13, 5, 23}}, {{5, 0, 0}, {3, 17, 23}},
                                  {{0, 0, 0}, {13, 17, 23}}, {{12, 16, 22}, {1, 1, 1}}, {{4, 2, 0}, {1, 15, 23}}};
  std::vector<std::string> failures(boxes.size());
  std::vector<std::jthread> readers;
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    readers.emplace_back([&, b] {
      const auto& [o, n] = boxes[b];
      std::vector<double> d(static_cast<std::size_t>(n[0] * n[1] * n[2]));
      std::vector<float> f(d.size());
      tessera::io::hdf5_read(path_, "/cube", o, n, DType::float64, d.data());
      tessera::io::hdf5_read(path_, "/cube", o, n, DType::float32, f.data());
      std::size_t at = 0;
      for (std::int64_t i = 0; i < n[0]; ++i)
        for (std::int64_t j = 0; j < n[1]; ++j)
          for (std::int64_t k = 0; k < n[2]; ++k, ++at) {
            const double want = cube_value(o[0] + i, o[1] + j, o[2] + k);
            if ((d[at] != want || f[at] != static_cast<float>(want)) && failures[b].empty()) {
              failures[b] = "cube[" + std::to_string(o[0] + i) + ", " + std::to_string(o[1] + j) + ", " +
                            std::to_string(o[2] + k) + "] = " + std::to_string(d[at]) + " / " + std::to_string(f[at]);
            }
          }
    });
  }
  readers.clear();
  for (const auto& f : failures) EXPECT_EQ(f, "") << "rank " << runtime().rank();
}

TEST_P(Hdf5IoTest, ReadsTheWholeFirstDatasetExactly) {
  std::vector<double> v(rows * cols);
  const std::vector<std::int64_t> offset = {0, 0}, count = {rows, cols};
  tessera::io::hdf5_read(path_, "/a", offset, count, DType::float64, v.data());
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) wrong += v[i * cols + j] != a_value(i, j);
  EXPECT_EQ(wrong, 0);
}

TEST_P(Hdf5IoTest, ConvertsInt32ToFloat64AndInt64) {
  const std::vector<std::int64_t> offset = {60, 2}, count = {130, 5};  // crosses chunks of 64 rows
  std::vector<double> f(130 * 5);
  std::vector<std::int64_t> n(130 * 5);
  tessera::io::hdf5_read(path_, "/g/h/x", offset, count, DType::float64, f.data());
  tessera::io::hdf5_read(path_, "/g/h/x", offset, count, DType::int64, n.data());
  for (std::int64_t i = 0; i < 130; ++i)
    for (std::int64_t j = 0; j < 5; ++j) {
      ASSERT_EQ(f[i * 5 + j], static_cast<double>(x_value(60 + i, 2 + j))) << i << ", " << j;
      ASSERT_EQ(n[i * 5 + j], x_value(60 + i, 2 + j)) << i << ", " << j;
    }
}

TEST_P(Hdf5IoTest, ReadsBoolAndUint8) {
  const std::vector<std::int64_t> offset = {120}, count = {500};
  std::vector<char> flags(500);
  std::vector<float> as_float(500);
  tessera::io::hdf5_read(path_, "/flags", offset, count, DType::bool_, flags.data());
  tessera::io::hdf5_read(path_, "/flags", offset, count, DType::float32, as_float.data());
  for (std::int64_t i = 0; i < 500; ++i) {
    ASSERT_EQ(flags[i], flag_value(120 + i) ? 1 : 0) << i;
    ASSERT_EQ(as_float[i], flag_value(120 + i) ? 1.0f : 0.0f) << i;
  }
  const std::vector<std::int64_t> o2 = {3, 4}, c2 = {14, 15};
  std::vector<std::uint8_t> b(14 * 15);
  std::vector<std::int16_t> w(14 * 15);
  tessera::io::hdf5_read(path_, "/bytes", o2, c2, DType::uint8, b.data());
  tessera::io::hdf5_read(path_, "/bytes", o2, c2, DType::int16, w.data());
  for (std::int64_t i = 0; i < 14; ++i)
    for (std::int64_t j = 0; j < 15; ++j) {
      ASSERT_EQ(b[i * 15 + j], byte_value(3 + i, 4 + j));
      ASSERT_EQ(w[i * 15 + j], byte_value(3 + i, 4 + j));
    }
}

TEST_P(Hdf5IoTest, EmptyBlockReadsNothing) {
  const std::vector<std::int64_t> offset = {rows, 0}, count = {0, cols};
  EXPECT_NO_THROW(tessera::io::hdf5_read(path_, "/a", offset, count, DType::float64, nullptr));
}

TEST_P(Hdf5IoTest, MissingFileNamesIt) {
  const std::string missing = test_dir() + "/nope.h5";
  const std::vector<std::int64_t> offset = {0}, count = {1};
  double v = 0;
  EXPECT_THAT([&] { tessera::io::hdf5_read(missing, "/a", offset, count, DType::float64, &v); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + missing + "' does not exist (looking for dataset '/a')")));
}

TEST_P(Hdf5IoTest, FileThatIsNotHdf5IsNamed) {
  const std::string text = test_dir() + "/text_" + std::to_string(runtime().rank()) + ".h5";
  std::ofstream(text) << "not an HDF5 file\n";
  EXPECT_THAT([&] { tessera::io::hdf5_dataset_info(text, "/a"); },
              ThrowsMessage<InputError>(StrEq("'" + text + "' is not an HDF5 file (looking for dataset '/a')")));
  fs::remove(text);
}

TEST_P(Hdf5IoTest, MissingDatasetNamesWhatTheGroupHolds) {
  EXPECT_THAT([&] { tessera::io::hdf5_dataset_info(path_, "/g/hh/x"); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + path_ + "' has no dataset '/g/hh/x': group '/g' holds 'h'")));
  EXPECT_THAT([&] { tessera::io::hdf5_dataset_info(path_, "/nope"); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + path_ +
                                              "' has no dataset '/nope': group '/' holds 'a', 'bytes', 'cube', 'flags', 'g'")));
  EXPECT_THAT([&] { tessera::io::hdf5_dataset_info(path_, "/g"); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + path_ + "' has no dataset '/g': '/g' is a group; group '/g' holds 'h'")));
  EXPECT_THAT([&] { tessera::io::hdf5_dataset_info(path_, "/a/b"); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + path_ + "' has no dataset '/a/b': '/a' is a dataset, not a group")));
}

TEST_P(Hdf5IoTest, CastThatIsNotSameKindNamesBothDtypes) {
  const std::vector<std::int64_t> offset = {0, 0}, count = {1, 1};
  std::int32_t v = 0;
  EXPECT_THAT([&] { tessera::io::hdf5_read(path_, "/a", offset, count, DType::int32, &v); },
              ThrowsMessage<InputError>(StrEq(
                  "dataset '/a' in HDF5 file '" + path_ +
                  "' holds float64, which does not cast to int32 under NumPy's same_kind rule "
                  "(hint: read it as float64 and convert explicitly (astype) if the loss is intended)")));
  EXPECT_THROW(tessera::io::hdf5_check_cast(path_, "/g/h/x", DType::int32, DType::bool_), InputError);
  EXPECT_NO_THROW(tessera::io::hdf5_check_cast(path_, "/a", DType::float64, DType::float32));  // same_kind
  EXPECT_NO_THROW(tessera::io::hdf5_check_cast(path_, "/x", DType::int64, DType::int8));
  EXPECT_NO_THROW(tessera::io::hdf5_check_cast(path_, "/x", DType::uint64, DType::int8));
}

TEST_P(Hdf5IoTest, BlockOutsideTheDatasetNamesBoth) {
  const std::vector<std::int64_t> offset = {1500, 0}, count = {100, cols};
  std::vector<double> v(100 * cols);
  EXPECT_THAT([&] { tessera::io::hdf5_read(path_, "/a", offset, count, DType::float64, v.data()); },
              ThrowsMessage<InputError>(StrEq("reading [1500:1600, 0:2311] outside dataset '/a' of shape (1537, 2311) "
                                              "in HDF5 file '" + path_ + "'")));
  const std::vector<std::int64_t> one = {0};
  EXPECT_THAT([&] { tessera::io::hdf5_read(path_, "/a", one, one, DType::float64, v.data()); },
              ThrowsMessage<InputError>(StrEq("reading a block of 1 offsets and 1 counts in dataset '/a' of shape "
                                              "(1537, 2311) in HDF5 file '" + path_ + "'")));
}

INSTANTIATE_TEST_SUITE_P(Drivers, Hdf5IoTest, ::testing::Values("sec2", "mpio"));

// Writer errors and the cache's invalidation, on a file of their own.
class Hdf5WriterTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = test_dir() + "/writer.h5"; }
  std::string path_;
};

TEST_F(Hdf5WriterTest, WriteOutsideTheDatasetAndBadCastNameBoth) {
  const std::vector<Hdf5DatasetSpec> one = {{"/a", DType::int32, {10, 4}, {}}};
  Hdf5Writer out(path_, one);
  const std::vector<std::int64_t> offset = {8, 0}, count = {3, 4};
  std::vector<std::int32_t> v(12, 1);
  EXPECT_THAT([&] { out.write(0, offset, count, DType::int32, v.data()); },
              ThrowsMessage<InputError>(StrEq("writing [8:11, 0:4] outside dataset '/a' of shape (10, 4) in HDF5 file '" +
                                              path_ + "'")));
  const std::vector<std::int64_t> fits = {0, 0};
  std::vector<double> d(12, 1.5);
  EXPECT_THAT([&] { out.write(0, fits, count, DType::float64, d.data()); },
              ThrowsMessage<InputError>(StrEq("writing float64 data to dataset '/a' in HDF5 file '" + path_ +
                                              "', which holds int32: not a cast under NumPy's same_kind rule "
                                              "(hint: convert the block explicitly (astype) if the loss is intended)")));
  out.close();
  EXPECT_THROW(out.write(0, fits, count, DType::int32, v.data()), tessera::Error);
}

TEST_F(Hdf5WriterTest, AppendAddsDatasetsAndRefusesExistingOnes) {
  const std::vector<Hdf5DatasetSpec> first = {{"/one", DType::float32, {5}, {}}};
  const std::vector<Hdf5DatasetSpec> second = {{"/two/deep/er", DType::int16, {3, 3}, {2, 2}}};
  Hdf5Writer(path_, first).close();
  {
    Hdf5Writer out(path_, second, Hdf5Writer::Mode::append);
    if (runtime().rank() == 0) {
      const std::vector<std::int16_t> v = {1, 2, 3, 4, 5, 6, 7, 8, 9};
      const std::vector<std::int64_t> offset = {0, 0}, count = {3, 3};
      out.write(0, offset, count, DType::int16, v.data());
    }
  }  // the destructor closes, collectively
  auto two = tessera::io::hdf5_dataset_info(path_, "/two/deep/er");
  EXPECT_EQ(two.dtype, DType::int16);
  EXPECT_EQ(two.chunk_shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(tessera::io::hdf5_dataset_info(path_, "/one").dtype, DType::float32);
  std::vector<double> v(9);
  const std::vector<std::int64_t> offset = {0, 0}, count = {3, 3};
  tessera::io::hdf5_read(path_, "/two/deep/er", offset, count, DType::float64, v.data());
  EXPECT_EQ(v, (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_THAT([&] { Hdf5Writer(path_, first, Hdf5Writer::Mode::append); },
              ThrowsMessage<InputError>(StrEq("HDF5 file '" + path_ + "' already has '/one' (a dataset) (hint: append adds "
                                              "new datasets only; write to a new name, or use truncate to replace the file)")));
}

TEST_F(Hdf5WriterTest, BadSpecsThrowBeforeTouchingTheFile) {
  const std::vector<Hdf5DatasetSpec> chunks = {{"/a", DType::int8, {10, 4}, {20, 4}}};
  EXPECT_THAT([&] { Hdf5Writer(path_, chunks); },
              ThrowsMessage<InputError>(StrEq("dataset '/a' in HDF5 file '" + path_ + "' has chunks (20, 4) that do not "
                                              "fit its shape (10, 4) (hint: one positive length per axis, at most the axis' length)")));
  const std::vector<Hdf5DatasetSpec> twice = {{"/a", DType::int8, {1}, {}}, {"/a", DType::int8, {1}, {}}};
  EXPECT_THROW(Hdf5Writer(path_, twice), InputError);
}

TEST_F(Hdf5WriterTest, RewritingAFileInvalidatesCachedReads) {
  const std::vector<Hdf5DatasetSpec> spec = {{"/v", DType::int64, {4}, {}}};
  const std::vector<std::int64_t> offset = {0}, count = {4};
  for (std::int64_t round = 0; round < 3; ++round) {
    {
      Hdf5Writer out(path_, spec);
      const std::vector<std::int64_t> v = {round, round + 1, round + 2, round + 3};
      if (runtime().rank() == runtime().size() - 1) out.write(0, offset, count, DType::int64, v.data());
      out.close();
    }
    std::vector<std::int64_t> back(4);
    tessera::io::hdf5_read(path_, "/v", offset, count, DType::int64, back.data());  // cached after the first round
    EXPECT_EQ(back, (std::vector<std::int64_t>{round, round + 1, round + 2, round + 3})) << "round " << round;
  }
  tessera::io::hdf5_close_cached(path_);
}

TEST_F(Hdf5WriterTest, ScalarAndEmptyDatasets) {
  const std::vector<Hdf5DatasetSpec> spec = {{"/s", DType::float64, {}, {}}, {"/e", DType::uint16, {0, 5}, {4, 5}}};
  {
    Hdf5Writer out(path_, spec);
    const double pi = 3.25;
    if (runtime().rank() == 0) out.write(0, {}, {}, DType::float64, &pi);
    out.close();
  }
  double back = 0;
  tessera::io::hdf5_read(path_, "/s", {}, {}, DType::float64, &back);
  EXPECT_EQ(back, 3.25);
  auto e = tessera::io::hdf5_dataset_info(path_, "/e");
  EXPECT_EQ(e.shape, (std::vector<std::int64_t>{0, 5}));
  EXPECT_TRUE(e.chunk_shape.empty());  // an axis of length 0 cannot be chunked
}

// The way the Array will use it: tasks of a distributed compute() write and
// read blocks on worker threads, while the scheduler's thread talks MPI.
TEST(Hdf5Tasks, WriteAndReadInsideADistributedCompute) {
  const std::string path = test_dir() + "/tasks.h5";
  constexpr std::int64_t n = 4000, width = 300, block = 250;  // 16 blocks
  const std::vector<Hdf5DatasetSpec> spec = {{"/t", DType::float32, {n, width}, {500, 100}}};
  Hdf5Writer out(path, spec);
  Hdf5Writer* writer = &out;
  auto store = tessera::delayed([writer](std::int64_t first) {
    std::vector<float> v;
    for (std::int64_t i = first; i < first + block; ++i)
      for (std::int64_t j = 0; j < width; ++j) v.push_back(static_cast<float>(i - j));
    const std::vector<std::int64_t> offset = {first, 0}, count = {block, width};
    writer->write(0, offset, count, DType::float32, v.data());
    return first;
  }, "store");
  std::vector<tessera::Delayed<std::int64_t>> stored;
  for (std::int64_t first = 0; first < n; first += block) stored.push_back(store(first));
  const auto firsts = tessera::compute(stored);
  EXPECT_EQ(firsts.size(), static_cast<std::size_t>(n / block));
  out.close();

  // Reads from tasks, through MPI-IO (the stricter case: MPI calls on workers).
  ::setenv("TESSERA_HDF5_DRIVER", "mpio", 1);
  auto load_sum = tessera::delayed([path](std::int64_t first) {
    std::vector<double> v(block * width);
    const std::vector<std::int64_t> offset = {first, 0}, count = {block, width};
    tessera::io::hdf5_read(path, "/t", offset, count, DType::float64, v.data());
    double sum = 0;
    for (double x : v) sum += x;
    return sum;
  }, "load_sum");
  auto add = tessera::delayed([](double a, double b) { return a + b; }, "add");
  std::vector<tessera::Delayed<double>> level;
  for (std::int64_t first = 0; first < n; first += block) level.push_back(load_sum(first));
  while (level.size() > 1) {
    std::vector<tessera::Delayed<double>> next;
    for (std::size_t k = 0; k + 1 < level.size(); k += 2) next.push_back(add(level[k], level[k + 1]));
    if (level.size() % 2) next.push_back(level.back());
    level = std::move(next);
  }
  const double total = tessera::compute(level[0]);
  ::unsetenv("TESSERA_HDF5_DRIVER");
  // Oracle: sum over i < n, j < width of (i - j) = width * n(n-1)/2 - n * width(width-1)/2.
  EXPECT_EQ(total, static_cast<double>(width * n * (n - 1) / 2 - n * width * (width - 1) / 2));
  tessera::io::hdf5_close_cached(path);
}

}  // namespace
