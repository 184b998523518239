#pragma once
// Whole reads and writes at an offset, for the files a rank keeps (its spill
// file, its checkpoint files): pread/pwrite return short counts (signals,
// large requests), these go on until done.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace tessera::memory {

/// Writes every byte of `iov[0..count)` from `offset` on (the iovecs are
/// advanced as they are written); false with errno set when the file refuses.
bool write_all(int fd, iovec* iov, int count, std::uint64_t offset);
/// Reads `bytes` bytes at `offset` into `into` and advances `offset`; false
/// with errno set when it cannot (EIO when the file is shorter).
bool read_all(int fd, void* into, std::size_t bytes, std::uint64_t& offset);

}  // namespace tessera::memory
