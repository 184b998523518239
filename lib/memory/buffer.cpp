// Buffer storage. Blocks of 1 MiB and more are kept after they are freed, a
// few per exact size, and handed out again: chunked workloads allocate the
// same sizes over and over, and a reused block costs no page faults.
#include <tessera/buffer.hpp>

#include "memory/budget.hpp"

#include <algorithm>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace tessera {
namespace {

constexpr std::size_t alignment = 64;
constexpr std::size_t cached_from = std::size_t{1} << 20;
// At most 1 GiB, and an eighth of the rank's memory budget: the cache is
// memory the budget does not see.
std::size_t cache_limit_bytes() {
  return std::min<std::size_t>(std::size_t{1} << 30, memory::Budget::instance().limit() / 8);
}
constexpr std::size_t cache_per_size = 4;

class BlockCache {
 public:
  std::byte* take(std::size_t size) {
    if (size >= cached_from) {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        std::byte* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size;
        return p;
      }
    }
    void* p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (!p) throw std::bad_alloc();
    return static_cast<std::byte*>(p);
  }

  void give(std::byte* p, std::size_t size) {
    if (size >= cached_from) {
      std::lock_guard lock(mutex_);
      auto& blocks = free_[size];
      if (blocks.size() < cache_per_size && cached_bytes_ + size <= cache_limit_bytes()) {
        blocks.push_back(p);
        cached_bytes_ += size;
        return;
      }
    }
    std::free(p);
  }

  ~BlockCache() {
    for (auto& [size, blocks] : free_) {
      for (std::byte* p : blocks) std::free(p);
    }
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<std::byte*>> free_;
  std::size_t cached_bytes_ = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache;  // never destroyed: Buffers may outlive static destruction
  return *c;
}

}  // namespace

Buffer::Buffer(std::size_t nbytes) : data_(nbytes ? cache().take(nbytes) : nullptr), size_(nbytes) {}

Buffer::Buffer(const Buffer& other) : Buffer(other.size_) {
  if (size_) std::memcpy(data_, other.data_, size_);
}

Buffer::~Buffer() {
  if (data_) cache().give(data_, size_);
}

}  // namespace tessera
