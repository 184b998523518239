// from_hdf5 and to_hdf5: the Array's layers over lib/io/hdf5. A read task
// reads its hyperslab on whatever rank the scheduler placed it (HDF5 handles
// are cached per process, so thousands of chunks open the file once). Writing
// opens the file collectively before the run and closes it after; in between,
// each chunk's write task writes from the rank holding the chunk, as soon as
// it is computed, so the array is never gathered anywhere.
#include <tessera/io/hdf5.hpp>

#include "collections/array/array_graph.hpp"
#include "io/hdf5/hdf5_file.hpp"

#include <tessera/error.hpp>
#include <tessera/size.hpp>
#include <tessera/token.hpp>

#include <cstdlib>

namespace tessera::array {
namespace detail {
namespace {

class ReadLayer final : public BlockLayer {
 public:
  ReadLayer(std::string path, std::string dataset, ChunkSizes chunks, DType dtype)
      : path_(std::move(path)), dataset_(std::move(dataset)), chunks_(std::move(chunks)), dtype_(dtype) {}
  void inputs_of(std::span<const std::int64_t>, std::vector<std::pair<int, Shape>>&) const override {}
  std::shared_ptr<const BlockLayer> read_again(const ChunkSizes& chunks) const override {
    return std::make_shared<ReadLayer>(path_, dataset_, chunks, dtype_);
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const>) const override {
    const Shape shape = block_shape(chunks_, block);
    const Shape offset = block_offset(chunks_, block);
    Buffer out(static_cast<std::size_t>(product(shape)) * itemsize(dtype_));
    if (out.size() > 0) io::hdf5_read(path_, dataset_, offset, shape, dtype_, out.data());
    return Value::of(std::move(out));
  }
  bool reads_rows() const override { return !chunks_.empty(); }
  void read_rows(std::span<const std::int64_t> block, std::int64_t first, std::int64_t count,
                 std::byte* out) const override {
    Shape shape = block_shape(chunks_, block);
    Shape offset = block_offset(chunks_, block);
    offset[0] += first;
    shape[0] = count;
    if (product(shape) > 0) io::hdf5_read(path_, dataset_, offset, shape, dtype_, out);
  }

 private:
  std::string path_, dataset_;
  ChunkSizes chunks_;
  DType dtype_;
};

class WriteLayer final : public BlockLayer {
 public:
  WriteLayer(std::shared_ptr<io::Hdf5Writer> writer, std::size_t index, ChunkSizes chunks, DType dtype)
      : writer_(std::move(writer)), index_(index), chunks_(std::move(chunks)), dtype_(dtype) {}
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    out.emplace_back(0, Shape(block.begin(), block.end()));
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    const Shape shape = block_shape(chunks_, block);
    if (product(shape) > 0) {
      writer_->write(index_, block_offset(chunks_, block), shape, dtype_, block_buffer(*inputs[0]).data());
    }
    return Value::of(std::uint8_t{1});
  }

 private:
  std::shared_ptr<io::Hdf5Writer> writer_;
  std::size_t index_;
  ChunkSizes chunks_;
  DType dtype_;
};

// The dataset's HDF5 chunks grown toward the byte target (doubling the axis
// that keeps the block squarest), or rows of a contiguous dataset.
ChunkSpec default_chunks(const io::Hdf5DatasetInfo& info, DType dtype) {
  std::uint64_t target = 128ull << 20;
  if (const char* env = std::getenv("TESSERA_ARRAY_CHUNK_SIZE"); env && *env) target = parse_size(env);
  const std::size_t nd = info.shape.size();
  if (nd == 0) return ChunkSpec();
  const auto item = static_cast<std::int64_t>(itemsize(dtype));
  Shape block(nd);
  if (info.chunk_shape.empty()) {
    std::int64_t row = item;
    for (std::size_t d = 1; d < nd; ++d) row *= std::max<std::int64_t>(info.shape[d], 1);
    block[0] = std::max<std::int64_t>(1, static_cast<std::int64_t>(target) / row);
    for (std::size_t d = 1; d < nd; ++d) block[d] = -1;
    return ChunkSpec(block);
  }
  block = info.chunk_shape;
  while (true) {
    std::int64_t bytes = item;
    for (auto b : block) bytes *= b;
    std::size_t best = nd;
    for (std::size_t d = 0; d < nd; ++d) {
      if (block[d] >= info.shape[d]) continue;
      if (best == nd || block[d] < block[best]) best = d;
    }
    if (best == nd || static_cast<std::uint64_t>(bytes) * 2 > target) break;
    block[best] = std::min(block[best] * 2, info.shape[best]);
  }
  return ChunkSpec(block);
}

}  // namespace
}  // namespace detail

using namespace detail;

Array from_hdf5(const std::string& path, const std::string& dataset, ChunkSpec chunks, std::optional<DType> dtype) {
  const io::Hdf5DatasetInfo info = io::hdf5_dataset_info(path, dataset);
  const DType d = dtype.value_or(info.dtype);
  if (dtype) io::hdf5_check_cast(path, dataset, info.dtype, d);
  if (chunks.is_auto()) chunks = default_chunks(info, d);
  ChunkSizes sizes;
  try {
    sizes = chunks.resolve(info.shape, d);
  } catch (const InputError& e) {
    throw InputError(path + " dataset " + dataset + ": " + e.what());
  }
  TokenHasher h;
  h.add(std::string_view(path));
  h.add(std::string_view(dataset));
  h.add(static_cast<int>(d));
  for (const auto& axis : sizes) {
    h.add(axis.size());
    for (auto c : axis) h.add(c);
  }
  auto e = make_expr(ExprKind::layer, d, info.shape, sizes, "from_hdf5", h.value());
  e->layer = std::make_shared<ReadLayer>(path, dataset, sizes, d);
  return Array(std::move(e));
}

void to_hdf5(const std::string& path, std::span<const std::pair<std::string, Array>> arrays,
             const ComputeOptions& options) {
  std::vector<io::Hdf5DatasetSpec> specs;
  for (const auto& [name, a] : arrays) {
    require_known(*a.expr(), "to_hdf5");
    specs.push_back({name, a.dtype(), a.shape(), {}});
  }
  io::hdf5_close_cached(path);
  auto writer = std::make_shared<io::Hdf5Writer>(path, specs);
  GraphBuilder builder;
  std::vector<NodeId> outputs;
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    const Array& a = arrays[i].second;
    const ArrayExpr& x = *a.expr();
    TokenHasher h;
    h.add(std::string_view(path));
    h.add(std::string_view(arrays[i].first));
    h.mix(x.token);
    auto w = make_expr(ExprKind::layer, DType::uint8, x.shape, x.chunks, "to_hdf5", h.value());
    w->layer = std::make_shared<WriteLayer>(writer, i, x.chunks, x.dtype);
    w->inputs = {a.expr()};
    const NodeId first = builder.build(w);
    for (std::int64_t b = 0; b < product(grid_of(x.chunks)); ++b) outputs.push_back(first + static_cast<NodeId>(b));
  }
  const Graph graph = builder.take();
  compute_nodes(graph, outputs, options);
  writer->close();
}

}  // namespace tessera::array
