#pragma once
// Bytes of the regular files under a directory: what spilling left on disk.
#include <cstdint>
#include <filesystem>

namespace tessera::test {

inline std::uintmax_t bytes_of_files_under(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

}  // namespace tessera::test
