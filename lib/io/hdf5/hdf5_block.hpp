#pragma once
// A block of a dataset, [offset, offset + count): checked against the
// dataset's shape, printed as NumPy slices, and selected in HDF5 dataspaces.
#include "io/hdf5/hdf5_session.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace tessera::io::detail {

/// "[0:100, 5:7]", the block as NumPy slices.
std::string format_block(std::span<const std::int64_t> offset, std::span<const std::int64_t> count);
/// "(1537, 2311)", "(5,)", "()": a shape as NumPy prints it.
std::string format_shape(std::span<const std::int64_t> shape);

/// InputError unless the block has the dataset's rank and lies inside its
/// shape; `verb` ("reading", "writing") starts the message, which names
/// the block, the shape, the dataset and the file.
void check_block(const char* verb, const std::string& path, const std::string& dataset,
                 std::span<const std::int64_t> shape, std::span<const std::int64_t> offset,
                 std::span<const std::int64_t> count);

/// The dataset's space with the block selected, and a memory space of the
/// block's shape (C order). A 0-d dataset selects its one element.
Hid select_in_file(hid_t dataset, std::span<const std::int64_t> offset, std::span<const std::int64_t> count);
Hid memory_space(std::span<const std::int64_t> count);

}  // namespace tessera::io::detail
