// The Array across ranks: an MPI program's own blocks (from_local_blocks)
// stay on the ranks that gave them and the tasks over them run there;
// mistakes in the blocks given are errors on every rank naming block and ranks.
#include <tessera/array.hpp>
#include <tessera/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

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
