#include "io/hdf5/hdf5_block.hpp"

#include <vector>

namespace tessera::io::detail {

std::string format_block(std::span<const std::int64_t> offset, std::span<const std::int64_t> count) {
  std::string out = "[";
  for (std::size_t axis = 0; axis < offset.size(); ++axis) {
    if (axis) out += ", ";
    const std::int64_t length = axis < count.size() ? count[axis] : 0;
    out += std::to_string(offset[axis]) + ":" + std::to_string(offset[axis] + length);
  }
  return out + "]";
}

std::string format_shape(std::span<const std::int64_t> shape) {
  std::string out = "(";
  for (std::size_t axis = 0; axis < shape.size(); ++axis) out += (axis ? ", " : "") + std::to_string(shape[axis]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

void check_block(const char* verb, const std::string& path, const std::string& dataset,
                 std::span<const std::int64_t> shape, std::span<const std::int64_t> offset,
                 std::span<const std::int64_t> count) {
  const std::string where = " dataset '" + dataset + "' of shape " + format_shape(shape) + " in HDF5 file '" + path + "'";
  if (offset.size() != shape.size() || count.size() != shape.size()) {
    throw_error(ErrorKind::input, std::string(verb) + " a block of " + std::to_string(offset.size()) + " offsets and " +
                                      std::to_string(count.size()) + " counts in" + where);
  }
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    // Written so that no sum can overflow: offset + count <= shape.
    if (offset[axis] < 0 || count[axis] < 0 || offset[axis] > shape[axis] || count[axis] > shape[axis] - offset[axis]) {
      throw_error(ErrorKind::input, std::string(verb) + " " + format_block(offset, count) + " outside" + where);
    }
  }
}

Hid select_in_file(hid_t dataset, std::span<const std::int64_t> offset, std::span<const std::int64_t> count) {
  Hid space(H5Dget_space(dataset));
  if (!space.valid() || offset.empty()) return space;
  const std::vector<hsize_t> start(offset.begin(), offset.end()), size(count.begin(), count.end());
  if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr) < 0) return Hid();
  return space;
}

Hid memory_space(std::span<const std::int64_t> count) {
  if (count.empty()) return Hid(H5Screate(H5S_SCALAR));
  const std::vector<hsize_t> dims(count.begin(), count.end());
  return Hid(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
}

}  // namespace tessera::io::detail
