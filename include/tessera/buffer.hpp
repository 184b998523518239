#pragma once
/// Buffer: an owned block of raw bytes, 64-byte aligned and not initialised,
/// the storage under chunks that travel between ranks.
///
///     tessera::Buffer chunk(8 << 20);                  // 8 MiB, contents undefined
///     std::memset(chunk.data(), 0, chunk.size());
///     auto doubles = chunk.as<double>();               // a span<double> over it
///
/// It travels as its bytes, received straight into a new Buffer. Blocks of
/// 64 KiB and more are mapped directly and go back to the system when freed,
/// except those a per-process cache keeps while the rank's memory budget has
/// room: pages touched once are reused instead of faulted in again (first
/// touch of fresh pages runs at ~0.5 GB/s on the development VM, reuse at
/// ~23 GB/s).
#include <tessera/transport.hpp>

#include <cstddef>
#include <span>

namespace tessera {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t nbytes);
  Buffer(const Buffer& other);
  Buffer(Buffer&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  Buffer& operator=(Buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~Buffer();

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t nbytes() const noexcept { return size_; }
  std::span<std::byte> bytes() noexcept { return {data_, size_}; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  template <class T>
  std::span<T> as() noexcept {
    return {reinterpret_cast<T*>(data_), size_ / sizeof(T)};
  }
  template <class T>
  std::span<const T> as() const noexcept {
    return {reinterpret_cast<const T*>(data_), size_ / sizeof(T)};
  }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

template <>
struct Transport<Buffer> : RawBytesEncoding<Buffer> {
  static std::span<const std::byte> view(const Buffer& b) { return b.bytes(); }
  static Buffer make(std::size_t nbytes) { return Buffer(nbytes); }
  static std::span<std::byte> buffer(Buffer& b) { return b.bytes(); }
};

}  // namespace tessera
