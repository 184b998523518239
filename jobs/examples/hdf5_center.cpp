#include "hdf5_center.hpp"

#include <tessera/io/hdf5.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tessera::examples {

namespace da = tessera::array;

void write_demo_hdf5(const std::string& path, const std::string& dataset, std::int64_t rows, std::int64_t cols,
                     std::int64_t chunk_rows, std::uint64_t seed, const ComputeOptions& options) {
  chunk_rows = std::clamp<std::int64_t>(chunk_rows, 1, std::max<std::int64_t>(rows, 1));
  const da::Array noise = da::random::normal({rows, cols}, da::Shape{chunk_rows, cols}, seed);
  // One offset per row, broadcast along the row: shape (rows, 1).
  const da::Array offsets = da::from_function(
      {rows, 1}, da::Shape{chunk_rows, 1}, DType::float64,
      [](const da::BlockInfo& info, std::span<std::byte> out) {
        for (std::int64_t i = 0; i < info.shape[0]; ++i) {
          const double v = 0.1 * static_cast<double>((info.offset[0] + i) % 97);
          std::memcpy(out.data() + i * static_cast<std::int64_t>(sizeof v), &v, sizeof v);
        }
      },
      "demo_row_offset");
  // Every chunk is computed and written by the rank the scheduler placed it on.
  da::to_hdf5(path, dataset, noise + offsets, options);
}

tessera::NDArray center_rows(const std::string& path, const std::string& dataset, const da::ChunkSpec& chunks,
                             const ComputeOptions& options) {
  const da::Array x = da::from_hdf5(path, dataset, chunks);
  return (x - x.mean(1, /*keepdims=*/true)).compute(options);
}

CenteredSummary summarize_centered(const tessera::NDArray& y) {
  CenteredSummary s;
  const NDArray d = y.dtype() == DType::float64 ? y : y.astype(DType::float64);
  const auto v = d.view<double>();
  if (v.empty()) return s;
  const std::int64_t cols = d.ndim() >= 2 ? d.shape().back() : static_cast<std::int64_t>(v.size());
  const auto n = static_cast<double>(v.size());
  double sum = 0;
  for (std::size_t row = 0; row * static_cast<std::size_t>(cols) < v.size(); ++row) {
    double row_sum = 0;
    for (std::int64_t j = 0; j < cols; ++j) row_sum += v[row * static_cast<std::size_t>(cols) + static_cast<std::size_t>(j)];
    sum += row_sum;
    s.max_abs_row_mean = std::max(s.max_abs_row_mean, std::abs(row_sum / static_cast<double>(cols)));
  }
  s.mean = sum / n;
  double squares = 0;
  for (double e : v) squares += (e - s.mean) * (e - s.mean);
  s.std = std::sqrt(squares / n);
  s.first = v.front();
  s.second = v.size() > 1 ? v[1] : v.front();
  s.last = v.back();
  return s;
}

}  // namespace tessera::examples
