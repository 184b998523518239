// The Array across ranks: an MPI program's own blocks (from_local_blocks)
// stay on the ranks that gave them and the tasks over them run there;
// mistakes in the blocks given are errors on every rank naming block and ranks.
#include <tessera/array.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

namespace da = tessera::array;
using tessera::Array;
using tessera::DType;
using tessera::InputError;
using tessera::Key;
using tessera::NDArray;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

tessera::Runtime& runtime() { return *tessera::Runtime::current(); }

// Rank r's block: rows [3r, 3r + 3) of a (3 * ranks, 5) int64 array, value 100 * row + column.
NDArray my_rows() {
  const int r = runtime().rank();
  std::vector<std::int64_t> values;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 5; ++j) values.push_back(100 * (3 * r + i) + j);
  }
  return NDArray::from_vector(values, {3, 5});
}

TEST(ArrayMpi, LocalBlocksStayOnTheirRanksAndTasksRunThere) {
  const int ranks = runtime().size();
  const Array x = da::from_local_blocks(my_rows(), {runtime().rank(), 0}, {3 * ranks, 5});
  EXPECT_EQ(x.chunks()[0], std::vector<std::int64_t>(static_cast<std::size_t>(ranks), 3));
  const Array doubled = x * 2;
  tessera::ComputeStats stats;
  const NDArray all = doubled.compute({.stats = &stats, .record_schedule = true});
  // Every element on every rank, the whole array in order.
  ASSERT_EQ(all.shape(), (da::Shape{3 * ranks, 5}));
  const auto v = all.view<std::int64_t>();
  for (int i = 0; i < 3 * ranks; ++i) {
    for (int j = 0; j < 5; ++j) EXPECT_EQ(v[static_cast<std::size_t>(i * 5 + j)], 2 * (100 * i + j));
  }
  // Block b of x * 2 ran on rank b, where its input lives.
  std::map<Key, int> where(stats.placement.begin(), stats.placement.end());
  const auto keys = doubled.output_keys();
  ASSERT_EQ(keys.size(), static_cast<std::size_t>(ranks));
  for (int b = 0; b < ranks; ++b) EXPECT_EQ(where.at(keys[static_cast<std::size_t>(b)]), b) << "block " << b;
  // A reduction over the rows: the closed form.
  std::int64_t total = 0;
  for (int i = 0; i < 3 * ranks; ++i) {
    for (int j = 0; j < 5; ++j) total += 100 * i + j;
  }
  EXPECT_EQ(x.sum().compute().item<std::int64_t>(), total);
  std::int64_t picked = 0;  // x[1::3, 4].sum()
  for (int i = 1; i < 3 * ranks; i += 3) picked += 100 * i + 4;
  const Array column = x[{da::slice(1, std::nullopt, 3), 4}];
  EXPECT_EQ(column.sum().compute().item<std::int64_t>(), picked);
}

TEST(ArrayMpi, ABlockGivenTwiceNamesBothRanks) {
  if (runtime().size() < 2) GTEST_SKIP() << "needs two ranks";
  // Ranks 0 and 1 both give block (0, 0).
  const int r = runtime().rank();
  const da::Shape index{r <= 1 ? 0 : r - 1, 0};
  EXPECT_THAT([&] { (void)da::from_local_blocks(my_rows(), index, {3 * (runtime().size() - 1), 5}); },
              ThrowsMessage<InputError>(HasSubstr("block (0, 0) was given by rank 0 and rank 1")));
}

TEST(ArrayMpi, BlocksThatDoNotAddUpToTheShapeAreNamed) {
  const int ranks = runtime().size();
  EXPECT_THAT([&] { (void)da::from_local_blocks(my_rows(), {runtime().rank(), 0}, {3 * ranks + 1, 5}); },
              ThrowsMessage<InputError>(HasSubstr("the blocks add up to " + std::to_string(3 * ranks) +
                                                  " along axis 0 but the global shape")));
}

TEST(ArrayMpi, MaskedLocalBlocksComputeInNumPyOrder) {
  const int ranks = runtime().size();
  const Array x = da::from_local_blocks(my_rows(), {runtime().rank(), 0}, {3 * ranks, 5});
  const NDArray odd = x[x % 2 == 1].compute();
  std::vector<std::int64_t> want;
  for (int i = 0; i < 3 * ranks; ++i) {
    for (int j = 0; j < 5; ++j) {
      if ((100 * i + j) % 2 == 1) want.push_back(100 * i + j);
    }
  }
  const auto got = odd.view<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(got.begin(), got.end()), want);
}

}  // namespace

namespace {

// How many of a graph's tasks read blocks of a file (keys from_hdf5-...).
std::size_t read_tasks(const Array& a) {
  const tessera::Graph& g = a.graph();
  std::size_t n = 0;
  for (tessera::NodeId i = 0; i < g.size(); ++i) n += g.node(i).key.str().find("from_hdf5") != std::string::npos;
  return n;
}

Array filled(da::Shape shape, da::Shape chunks) {
  const std::int64_t cols = shape[1];
  return da::from_function(shape, da::ChunkSpec(chunks), DType::float64,
                           [cols](const da::BlockInfo& info, std::span<std::byte> out) {
                             auto* v = reinterpret_cast<double*>(out.data());
                             for (std::int64_t i = 0; i < info.shape[0]; ++i) {
                               for (std::int64_t j = 0; j < info.shape[1]; ++j) {
                                 *v++ = static_cast<double>((info.offset[0] + i) * cols + info.offset[1] + j);
                               }
                             }
                           });
}

}  // namespace

// A reduction over a file reads it in slabs inside its own chunk tasks (no
// task makes a whole block), and those tasks spread over the ranks like the
// reads they replace. Blocks with rows larger than a slab, and materialised
// elementwise results, keep their read tasks.
TEST(ArrayMpi, ReductionsOverAFileReadItInSlabsOnEveryRank) {
  const int ranks = runtime().size();
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() /
                        ("tessera-slabs-" + std::to_string(runtime().max_over_ranks(::getpid())) + ".h5");
  const std::int64_t rows = 600, cols = 1000, band = 50;  // 12 blocks of 400 KB
  const std::vector<std::pair<std::string, Array>> datasets = {{"/x", filled({rows, cols}, {band, cols})},
                                                                {"/wide", filled({2, 600'000}, {2, 600'000})}};
  da::to_hdf5(file.string(), datasets);
  const Array x = da::from_hdf5(file.string(), "/x", {band, cols});
  const Array row_sums = x.sum(1);
  EXPECT_EQ(read_tasks(row_sums), 0u);
  EXPECT_EQ(read_tasks((x - x.mean(1, true)).std()), 0u);
  EXPECT_EQ(read_tasks(x * 2), static_cast<std::size_t>(rows / band));
  const Array wide = da::from_hdf5(file.string(), "/wide", {2, 600'000});
  EXPECT_EQ(read_tasks(wide.sum(1)), 1u);

  tessera::ComputeStats stats;
  const NDArray sums = row_sums.compute({.stats = &stats, .record_schedule = true});
  const auto v = sums.view<double>();
  ASSERT_EQ(v.size(), static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) {
    const double first = static_cast<double>(i * cols);
    EXPECT_EQ(v[static_cast<std::size_t>(i)], cols * first + cols * (cols - 1) / 2.0) << "row " << i;
  }
  std::set<int> used;
  for (const auto& [key, where] : stats.placement) used.insert(where);
  EXPECT_EQ(used.size(), static_cast<std::size_t>(ranks)) << "the 12 chunk tasks ran on every rank";
  const double wide_total = wide.sum().compute().item<double>();
  const double n = 2 * 600'000;
  EXPECT_EQ(wide_total, n * (n - 1) / 2);
  runtime().barrier();
  if (runtime().rank() == 0) fs::remove(file);
}
