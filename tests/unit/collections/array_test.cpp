// The Array's building-time checks (shapes, axes, chunks, dtypes: errors
// named when the expression is built, never inside a task), its keys and
// printing, and small results by hand, under both local schedulers.
#include <tessera/array.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <sstream>

namespace da = tessera::array;
using tessera::Array;
using tessera::DType;
using tessera::InputError;
using tessera::NDArray;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

class ArrayTest : public ::testing::TestWithParam<tessera::SchedulerKind> {
 protected:
  tessera::ComputeOptions on_param() const {
    tessera::ComputeOptions o;
    o.scheduler = GetParam();
    return o;
  }
};

TEST(ArrayChunks, BlockShapeExplicitAndAuto) {
  EXPECT_EQ(da::ChunkSpec({500, 700}).resolve({1537, 2311}, DType::float64),
            (da::ChunkSizes{{500, 500, 500, 37}, {700, 700, 700, 211}}));
  EXPECT_EQ(da::ChunkSpec({-1, 1000}).resolve({3, 2311}, DType::float64), (da::ChunkSizes{{3}, {1000, 1000, 311}}));
  EXPECT_EQ(da::ChunkSpec(da::ChunkSizes{{1, 2}, {3}}).resolve({3, 3}, DType::int8), (da::ChunkSizes{{1, 2}, {3}}));
  // auto: 1 MiB of float64 is 131072 elements: 362 x 362 blocks (NumPy-like square-ish)
  const auto c = da::ChunkSpec::automatic(1 << 20).resolve({1000, 1000}, DType::float64);
  EXPECT_EQ(c[0][0] * c[1][0] * 8 <= (1 << 20), true);
  EXPECT_GT(c[0][0] * c[1][0] * 8, (1 << 20) / 2);
  // a short axis is taken whole and the rest goes to the other
  const auto s = da::ChunkSpec::automatic(1 << 20).resolve({4, 1000000}, DType::float64);
  EXPECT_EQ(s[0], (std::vector<std::int64_t>{4}));
  EXPECT_EQ(s[1][0], 32768);
}

TEST(ArrayChunks, MismatchesAreNamed) {
  EXPECT_THAT([] { da::ChunkSpec(da::ChunkSizes{{1, 1}, {3}}).resolve({3, 3}, DType::int8); },
              ThrowsMessage<InputError>(HasSubstr("chunks along axis 0 add up to 2 but the shape (3, 3) has 3")));
  EXPECT_THAT([] { da::ChunkSpec({2}).resolve({3, 3}, DType::int8); },
              ThrowsMessage<InputError>(HasSubstr("chunk shape (2,) does not match the array's shape (3, 3)")));
}

TEST(ArrayErrors, NanArgminOfAnAllNanSliceRaisesAsNumPy) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Array a = da::from_ndarray(NDArray::from_vector<double>({nan, nan, 1, 2}, {2, 2}));
  EXPECT_THAT([&] { (void)da::nanargmin(a, 1).compute(); },
              ThrowsMessage<tessera::TaskError>(HasSubstr("nanargmin: All-NaN slice encountered")));
  const NDArray rows = da::nanargmax(a, 0).compute();
  EXPECT_EQ(rows.view<std::int64_t>()[0], 1);
  EXPECT_EQ(rows.view<std::int64_t>()[1], 1);
}

TEST(ArrayErrors, BroadcastMismatchNamesBothShapesAtBuildTime) {
  auto a = da::ones({3, 4}, {.chunks = {2, 2}});
  auto b = da::ones({3}, {.chunks = {3}});
  EXPECT_THAT([&] { (void)(a + b); },
              ThrowsMessage<InputError>(HasSubstr("operands could not be broadcast together with shapes (3, 4) (3,)")));
  EXPECT_THAT([&] { (void)a.sum(2); },
              ThrowsMessage<InputError>(HasSubstr("sum: axis 2 is out of bounds for array of dimension 2")));
  EXPECT_THAT([&] { (void)((a > 0) - (a > 1)); },
              ThrowsMessage<InputError>(HasSubstr("boolean subtract")));
  EXPECT_THAT([&] { (void)(a << 1); }, ThrowsMessage<InputError>(HasSubstr("left_shift")));
  EXPECT_THAT([&] { (void)da::zeros({0}).max(); }, ThrowsMessage<InputError>(HasSubstr("zero-size array")));
  // As NumPy: an empty reduction with somewhere to put a result has no identity; an empty result needs none.
  EXPECT_THAT([&] { (void)da::zeros({0, 5}).min(0); }, ThrowsMessage<InputError>(HasSubstr("zero-size array")));
  EXPECT_THAT([&] { (void)da::zeros({5, 0}).argmax(1); }, ThrowsMessage<InputError>(HasSubstr("zero-size array")));
  EXPECT_EQ(da::zeros({0, 5}).min(1).shape(), (da::Shape{0}));
  EXPECT_EQ(da::zeros({0, 5}).argmax(1).compute().shape(), (da::Shape{0}));
  EXPECT_EQ(da::zeros({0, 0}).max(1).compute().shape(), (da::Shape{0}));
}

TEST(ArrayErrors, IndexingAndShapeOpsNameWhatIsWrong) {
  const Array x = da::zeros({10, 12}, {.chunks = {4, 5}});
  auto fails = [](auto f, const std::string& text) { EXPECT_THAT(f, ThrowsMessage<InputError>(HasSubstr(text))); };
  fails([&] { (void)x[{3, 12}]; }, "index 12 is out of bounds for axis 1 with size 12");
  fails([&] { (void)x[-11]; }, "index -11 is out of bounds for axis 0 with size 10");
  fails([&] { (void)x[{1, 2, 3}]; }, "too many indices for array: array is 2-dimensional, but 3 were indexed");
  fails([&] { (void)x[{da::ellipsis, 1, da::ellipsis}]; }, "single ellipsis");
  fails([&] { (void)x[da::slice(0, 5, 0)]; }, "slice step cannot be zero (axis 0)");
  fails([&] { (void)x[std::vector<std::int64_t>{0, 10}]; }, "index 10 is out of bounds for axis 0 with size 10");
  fails([&] { (void)x[{std::vector<std::int64_t>{0}, std::vector<std::int64_t>{1}}]; },
        "only one integer-array index");
  fails([&] { (void)x.transpose({0}); }, "transpose: axes (0) don't match array of dimension 2");
  fails([&] { (void)x.transpose({1, 1}); }, "repeated axis");
  fails([&] { (void)x.swapaxes(0, 2); }, "swapaxes: axis 2 is out of bounds");
  fails([&] { (void)x.reshape({7, -1}); }, "cannot reshape array of size 120 into shape (7, -1)");
  fails([&] { (void)x.reshape({-1, -1}); }, "only specify one unknown dimension");
  // Merging axis 1 (cut into 3 chunks) into axis 0 would move data.
  fails([&] { (void)x.reshape({120}); },
        "reshape from (10, 12) to (120,): input axis 1 is cut into 3 chunks, but it merges with input axis 0 into "
        "output axis 0");
  // Splitting chunks of 4 rows into rows of 3: not whole rows.
  fails([&] { (void)da::zeros({12}, {.chunks = {4}}).reshape({4, 3}); },
        "the chunks of input axis 0 (4, 4, 4) do not hold whole rows of output axis 1 (3 elements each)");
  fails([&] { (void)da::concatenate({x, da::zeros({10, 3}, {.chunks = {4, 5}})}, 0); },
        "concatenate along axis 0: the array at index 0 has shape (10, 12) but the array at index 1 has shape (10, 3)");
  fails([&] { (void)da::concatenate({}); }, "need at least one array");
  fails([&] { (void)da::stack({x, x.transpose()}); },
        "stack: all input arrays must have the same shape: the array at index 0 has shape (10, 12) but the array at "
        "index 1 has shape (12, 10)");
  fails([&] { (void)x.cumsum(2); }, "cumsum: axis 2 is out of bounds for array of dimension 2");
}

TEST(ArrayShapeOps, ChunksAndCopyFreeCases) {
  const Array x = da::arange(0, 120, 1, da::ChunkSpec{36}).reshape({10, 12});
  EXPECT_EQ(x.chunks(), (da::ChunkSizes{{3, 3, 3, 1}, {12}}));
  const Array y = da::ones({10, 12}, {.chunks = {4, 5}});
  const Array sliced = y[{da::slice(2, 9), da::slice(std::nullopt, std::nullopt, -1)}];
  EXPECT_EQ(sliced.chunks(), (da::ChunkSizes{{2, 4, 1}, {2, 5, 5}}));
  EXPECT_EQ(y.transpose().chunks(), (da::ChunkSizes{{5, 5, 2}, {4, 4, 2}}));
  EXPECT_EQ(da::stack({y, y}, 2).chunks(), (da::ChunkSizes{{4, 4, 2}, {5, 5, 2}, {1, 1}}));
  // A whole-array index is the array itself; a step of 3 groups picks into chunks near the input's length.
  const Array whole = y[{da::all_of_axis, da::ellipsis}];
  EXPECT_EQ(whole.name(), y.name());
  EXPECT_EQ(y[da::slice(std::nullopt, std::nullopt, 3)].chunks()[0], (std::vector<std::int64_t>{4}));
  // Reading positions: runs inside one chunk stay one copy; the chunks follow the input's length.
  const Array picked = y[std::vector<std::int64_t>{9, 8, 7, 0, 0, 0, 5}];
  EXPECT_EQ(picked.chunks()[0], (std::vector<std::int64_t>{3, 4}));  // runs 9-8, 7 | 0-0-0, 5
}

TEST(ArrayMasks, UnknownLengthsUntilPersisted) {
  // 0..11 in chunks of 5: the mask keeps the multiples of 3.
  const Array x = da::arange(0, 12, 1, da::ChunkSpec{5});
  const Array picked = x[x % 3 == 0];
  EXPECT_EQ(picked.chunks(), (da::ChunkSizes{{-1, -1, -1}}));
  EXPECT_EQ(picked.size(), -1);
  EXPECT_THAT(picked.str(), HasSubstr("shape=(nan,)"));
  EXPECT_THAT([&] { (void)picked.reshape({2, -1}); },
              ThrowsMessage<InputError>(HasSubstr("reshape needs known chunk lengths, but the array of shape (nan,) "
                                                  "has unknown ones (a boolean mask's result): persist() it first")));
  EXPECT_THAT([&] { (void)picked.argmax(); }, ThrowsMessage<InputError>(HasSubstr("argmax needs known chunk lengths")));
  EXPECT_THAT([&] { (void)(picked + x); },
              ThrowsMessage<InputError>(HasSubstr("could not be broadcast together with shapes (nan,) (12,)")));
  // Two unknown lengths are checked block by block when computed: NumPy's
  // broadcast error (never a read past a block), a length-1 whole operand broadcasts.
  const Array one_block = da::arange(0, 5, 1, da::ChunkSpec{5});
  EXPECT_THAT([&] { (void)(one_block[one_block > 1] + one_block[one_block < 2]).compute(); },
              ThrowsMessage<tessera::TaskError>(HasSubstr("could not be broadcast together with shapes (3,) (2,)")));
  EXPECT_THAT([&] { (void)(one_block[one_block > 1] + one_block[one_block > 9]).compute(); },
              ThrowsMessage<tessera::TaskError>(HasSubstr("could not be broadcast together with shapes (3,) (0,)")));
  const NDArray stretched = (one_block[one_block == 3] + one_block[one_block < 4]).compute();
  EXPECT_EQ(stretched.shape(), (da::Shape{4}));
  EXPECT_EQ(std::vector<std::int64_t>(stretched.view<std::int64_t>().begin(), stretched.view<std::int64_t>().end()),
            (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_THAT([&] { (void)(x[x == 3] + x[x < 12]).compute(); },  // x is three blocks: (1,) is not the whole array
              ThrowsMessage<tessera::TaskError>(HasSubstr("could not be broadcast together")));
  EXPECT_THAT([&] { (void)x[x]; }, ThrowsMessage<InputError>(HasSubstr("x[mask] needs a boolean mask, not int64")));
  EXPECT_THAT([&] { (void)x[da::ones({12, 1}, {.dtype = DType::bool_})]; },
              ThrowsMessage<InputError>(HasSubstr("does not fit an array of shape (12,)")));
  // 0 3 | 6 9 | (none): persisting learns the lengths; computing gives NumPy's order.
  const Array held = picked.persist();
  EXPECT_EQ(held.chunks(), (da::ChunkSizes{{2, 2, 0}}));
  EXPECT_EQ(held.shape(), (da::Shape{4}));
  const NDArray values = (picked * 10).compute();
  EXPECT_EQ(std::vector<std::int64_t>(values.view<std::int64_t>().begin(), values.view<std::int64_t>().end()),
            (std::vector<std::int64_t>{0, 30, 60, 90}));
  EXPECT_EQ(picked.sum().compute().item<std::int64_t>(), 18);
  EXPECT_EQ(held[{da::slice(1, 3)}].sum().compute().item<std::int64_t>(), 9);
}

TEST(ArrayDTypes, PromotionFollowsNumPy) {
  using tessera::promote_types;
  EXPECT_EQ(promote_types(DType::int32, DType::float32), DType::float64);
  EXPECT_EQ(promote_types(DType::int16, DType::float32), DType::float32);
  EXPECT_EQ(promote_types(DType::uint64, DType::int64), DType::float64);
  EXPECT_EQ(promote_types(DType::uint8, DType::int8), DType::int16);
  EXPECT_EQ(promote_types(DType::bool_, DType::uint8), DType::uint8);
  auto i8 = da::ones({4}, {.chunks = {2}, .dtype = DType::int8});
  EXPECT_EQ((i8 + 1).dtype(), DType::int8);       // a weak scalar keeps the array's dtype
  EXPECT_EQ((i8 + 1.5).dtype(), DType::float64);  // a float scalar with ints: float64
  EXPECT_EQ((i8 / i8).dtype(), DType::float64);
  EXPECT_EQ((da::ones({4}) > 0).dtype(), DType::bool_);
  EXPECT_THROW(tessera::parse_dtype("int65"), InputError);
  EXPECT_EQ(tessera::parse_dtype("<f8"), DType::float64);
}

TEST(ArrayKeys, NamesAreTokensOfWhatDefinesThem) {
  auto a = da::arange(0, 10, 1, da::ChunkSpec{4});
  auto b = da::arange(0, 10, 1, da::ChunkSpec{4});
  auto c = da::arange(0, 11, 1, da::ChunkSpec{4});
  EXPECT_EQ(a.name(), b.name());  // the same definition, the same name on every rank
  EXPECT_NE(a.name(), c.name());
  EXPECT_EQ((a + 1).name(), (b + 1).name());
  EXPECT_NE((a + 1).name(), (a + 2).name());
  EXPECT_EQ((a + 1).name().substr(0, 4), "add-");
  EXPECT_EQ(a.graph().fingerprint(), b.graph().fingerprint());
  EXPECT_NE(a.sum().graph().fingerprint(), c.sum().graph().fingerprint());
}

TEST(ArrayPrint, ReprAndNumPyLikeValues) {
  auto a = da::arange(0, 6, 1, da::ChunkSpec{4});
  std::ostringstream repr;
  repr << a;
  EXPECT_THAT(repr.str(), HasSubstr("shape=(6,), dtype=int64, chunksize=(4,)>"));
  EXPECT_EQ(a.compute().str(), "[0 1 2 3 4 5]");
  EXPECT_EQ(da::linspace(0, 1, 5).compute().str(), "[0.   0.25 0.5  0.75 1.  ]");
  EXPECT_EQ((da::ones({2, 2}) * 2).compute().str(), "[[2. 2.]\n [2. 2.]]");
  EXPECT_EQ(da::arange(0, 2000, 1, da::ChunkSpec{512}).compute().str(), "[   0    1    2 ... 1997 1998 1999]");
  EXPECT_EQ((da::ones({3}) > 0).compute().str(), "[ True  True  True]");
  // As NumPy 1.24's str() (precision 8, rows wrapped at 75, scientific when magnitudes span 1e3).
  EXPECT_EQ((da::arange(0, 30, 1, da::ChunkSpec{7}).astype(DType::float64) / 7).compute().str(),
            "[0.         0.14285714 0.28571429 0.42857143 0.57142857 0.71428571\n"
            " 0.85714286 1.         1.14285714 1.28571429 1.42857143 1.57142857\n"
            " 1.71428571 1.85714286 2.         2.14285714 2.28571429 2.42857143\n"
            " 2.57142857 2.71428571 2.85714286 3.         3.14285714 3.28571429\n"
            " 3.42857143 3.57142857 3.71428571 3.85714286 4.         4.14285714]");
  EXPECT_EQ((da::arange(0, 40, 1, da::ChunkSpec{40}).reshape({2, 20}) * 1000).compute().str(),
            "[[    0  1000  2000  3000  4000  5000  6000  7000  8000  9000 10000 11000\n"
            "  12000 13000 14000 15000 16000 17000 18000 19000]\n"
            " [20000 21000 22000 23000 24000 25000 26000 27000 28000 29000 30000 31000\n"
            "  32000 33000 34000 35000 36000 37000 38000 39000]]");
  auto printed = [](std::vector<double> v) { return NDArray::from_vector<double>(v, {static_cast<std::int64_t>(v.size())}).str(); };
  EXPECT_EQ(printed({1., 2000.}), "[1.e+00 2.e+03]");
  EXPECT_EQ(printed({1.5e10, 1}), "[1.5e+10 1.0e+00]");
  EXPECT_EQ(printed({std::numeric_limits<double>::quiet_NaN(), 1e9, 1.0}), "[   nan 1.e+09 1.e+00]");
  EXPECT_EQ(printed({2.0 / 3, 1.0, -3.25}), "[ 0.66666667  1.         -3.25      ]");
  EXPECT_EQ(NDArray::from_vector<float>({2.0f / 3, 1}, {2}).str(), "[0.6666667 1.       ]");
  EXPECT_EQ(da::ones({4}).sum().compute().str(), "4.0");  // a 0-d float prints as Python's repr
  EXPECT_EQ((da::ones({2}) * 1e20).sum().compute().str(), "2e+20");
  EXPECT_EQ((da::ones({3}) / 3).sum().compute().str(), "1.0");
}

TEST_P(ArrayTest, SmallResultsByHand) {
  auto x = da::arange(0, 12, 1, da::ChunkSpec{5});
  EXPECT_EQ(x.sum().compute(on_param()).item<std::int64_t>(), 66);
  auto m = da::from_ndarray(NDArray::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}), {1, 2});
  const NDArray rows = m.mean(1).compute(on_param());
  EXPECT_EQ(rows.view<double>()[0], 2.0);
  EXPECT_EQ(rows.view<double>()[1], 5.0);
  EXPECT_DOUBLE_EQ(m.var({}, false, 1).compute(on_param()).item<double>(), 3.5);
  EXPECT_EQ(m.argmax(0).compute(on_param()).view<std::int64_t>()[2], 1);
  // Dask issue 78: E[x^2] - E[x]^2 cancels; Chan's merge does not.
  auto big = da::from_ndarray(NDArray::from_vector<double>({1e8 + 1, 1e8 + 2, 1e8 + 3}, {3}), {1});
  EXPECT_NEAR(big.var().compute(on_param()).item<double>(), 2.0 / 3.0, 1e-9);
  // A user function per block sees its place in the array.
  auto f = da::from_function({4, 4}, {3, 3}, DType::int32, [](const da::BlockInfo& info, std::span<std::byte> out) {
    auto* p = reinterpret_cast<std::int32_t*>(out.data());
    for (std::int64_t i = 0; i < info.shape[0] * info.shape[1]; ++i)
      p[i] = static_cast<std::int32_t>((info.offset[0] + i / info.shape[1]) * 10 + info.offset[1] + i % info.shape[1]);
  });
  EXPECT_EQ(f.compute(on_param()).str(), "[[ 0  1  2  3]\n [10 11 12 13]\n [20 21 22 23]\n [30 31 32 33]]");
  auto doubled = da::map_blocks(
      [](const da::BlockInfo&, std::span<const NDArray> in, NDArray& out) {
        auto src = in[0].view<std::int32_t>();
        auto dst = out.mutable_view<std::int32_t>();
        for (std::size_t i = 0; i < src.size(); ++i) dst[i] = 2 * src[i];
      },
      f, DType::int32, "double");
  EXPECT_EQ(doubled.sum().compute(on_param()).item<std::int64_t>(), 2 * f.sum().compute(on_param()).item<std::int64_t>());
  // persist keeps the chunks; what follows reads them
  auto p = (x * 2).persist(on_param());
  EXPECT_EQ(p.sum().compute(on_param()).item<std::int64_t>(), 132);
}

INSTANTIATE_TEST_SUITE_P(Local, ArrayTest,
                         ::testing::Values(tessera::SchedulerKind::sync, tessera::SchedulerKind::threads));

}  // namespace

// By hand: bins [0, 1), [1, 2), [2, 3]; 3.0 on the last edge counts, 3.5 and NaN do not.
TEST(ArrayHistogram, CountsByHandAndRefusesBadBins) {
  const NDArray values = NDArray::from_vector(std::vector<double>{0.0, 0.5, 1.0, 1.0, 2.9, 3.0, 3.5, -0.1,
                                                                  std::nan("")}, {3, 3});
  const auto [counts, edges] = da::histogram(da::from_ndarray(values, {2, 2}), 3, {0.0, 3.0});
  const NDArray c = counts.compute();
  ASSERT_EQ(c.size(), 3);
  EXPECT_EQ(c.at(0), 2);
  EXPECT_EQ(c.at(1), 2);
  EXPECT_EQ(c.at(2), 2);
  ASSERT_EQ(edges.size(), 4);
  EXPECT_EQ(edges.at(3), 3.0);
  EXPECT_THAT([&] { (void)da::histogram(da::from_ndarray(values), 0, {0.0, 1.0}); },
              ThrowsMessage<InputError>(HasSubstr("bins must be at least 1")));
  EXPECT_THAT([&] { (void)da::histogram(da::from_ndarray(values), 2, {1.0, 0.0}); },
              ThrowsMessage<InputError>(HasSubstr("range")));
}
