// Buffer storage. Blocks of 64 KiB and more are mapped straight from the
// kernel and unmapped when freed, so their memory leaves the process with
// them: through malloc, freed chunks stayed in glibc's arenas and a rank
// spilling 64 KiB or 16 MiB chunks under a 64 MiB limit grew to 230-310 MB
// (3.4 GB under 1 GiB). Freed blocks are kept for reuse while the rank's
// tracked bytes plus the cache stay within its limit: chunked workloads
// allocate the same sizes over and over, and on this VM a reused block costs
// no page faults (first touch ~0.5 GB/s, reuse ~23 GB/s). Every mapping is
// of transparent huge pages: 2 MiB and more on its own, smaller blocks cut
// from 2 MiB slabs (see take()).
#include <tessera/buffer.hpp>

#include "memory/budget.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace tessera {
namespace {

constexpr std::size_t alignment = 64;
// Smaller blocks come from malloc: a mapping each would cost a system call
// and a kernel memory area per block.
constexpr std::size_t mapped_from = std::size_t{64} << 10;
// Mappings this large ask for transparent huge pages.
constexpr std::size_t huge_page = std::size_t{2} << 20;

std::size_t page_rounded(std::size_t size) {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

// The size of the block a Buffer of `size` bytes (>= mapped_from) gets:
// below 2 MiB a power of two, carved from a huge-page slab (see take()),
// else whole pages.
std::size_t block_size(std::size_t size) {
  if (size >= huge_page) return page_rounded(size);
  std::size_t block = mapped_from;
  while (block < size) block *= 2;
  return block;
}

class BlockCache {
 public:
  std::byte* take(std::size_t size) {
    if (size < mapped_from) {
      void* p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
      if (!p) throw std::bad_alloc();
      return static_cast<std::byte*>(p);
    }
    const std::size_t mapped = block_size(size);
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(mapped);
      if (it != free_.end()) {
        std::byte* p = it->second.back();
        it->second.pop_back();
        if (it->second.empty()) free_.erase(it);
        uncache(mapped);
        return p;
      }
      // A new mapping: first make room for it within the limit, from blocks of other sizes.
      const std::size_t free_room = room(0);
      shrink_to(free_room > mapped ? free_room - mapped : 0);
    }
    if (mapped >= huge_page) return map_huge(mapped);
    // Blocks below 2 MiB come from a huge-page slab cut into blocks of this
    // size, the others kept in the cache: on this VM 256 MB of fresh small
    // pages took 1.0 s to touch, of huge pages 25 ms, and W7's first merge
    // spent most of its time faulting in 200 KB pieces page by page.
    std::byte* slab = map_huge(huge_page);
    {
      std::lock_guard lock(mutex_);
      for (std::size_t at = mapped; at + mapped <= huge_page; at += mapped) {
        free_[mapped].push_back(slab + at);
        cached_ += mapped;
      }
      memory::Budget::instance().note_cached(cached_);
    }
    return slab;
  }

  // A mapping that starts on a 2 MiB boundary, so that every whole 2 MiB of
  // it can be a huge page (an unaligned 4 MiB mapping holds one at most).
  // Transparent huge pages where the kernel only gives them on request
  // (Debian's default, "madvise"): one fault per 2 MiB instead of 512. On
  // this VM a fresh 4 KiB page costs ~8 µs (first touch 0.13-0.5 GB/s) and a
  // fresh huge page ~0.1-0.4 ms (first touch 5-10 GB/s), which made a first
  // pass over fresh chunks (an HDF5 read into new Buffers) 3-4x slower than
  // the same pass on reused ones.
  static std::byte* map_huge(std::size_t mapped) {
    void* p = ::mmap(nullptr, mapped + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + huge_page - 1) / huge_page * huge_page;
    const std::size_t head = aligned - start, tail = huge_page - head;
    if (head) ::munmap(p, head);
    if (tail) ::munmap(reinterpret_cast<void*>(aligned + mapped), tail);
    ::madvise(reinterpret_cast<void*>(aligned), mapped, MADV_HUGEPAGE);  // best effort: an error leaves small pages
    return reinterpret_cast<std::byte*>(aligned);
  }

  void give(std::byte* p, std::size_t size) {
    if (size < mapped_from) {
      std::free(p);
      return;
    }
    const std::size_t mapped = block_size(size);
    {
      std::lock_guard lock(mutex_);
      // The block's bytes are usually still counted (a result is freed, then
      // subtracted), so they are room for it.
      if (cached_ + mapped <= room(mapped)) {
        free_[mapped].push_back(p);
        cached_ += mapped;
        memory::Budget::instance().note_cached(cached_);
        return;
      }
    }
    ::munmap(p, mapped);
  }

  /// Unmaps cached blocks until the tracked bytes plus the cache fit the limit.
  void trim() {
    std::lock_guard lock(mutex_);
    shrink_to(room(0));
  }

 private:
  // How much the cache may hold: the limit less what the budget counts,
  // `still_counted` of which is about to go.
  std::size_t room(std::size_t still_counted) const {
    const auto& budget = memory::Budget::instance();
    const std::uint64_t tracked = budget.tracked(), limit = budget.limit();
    const std::uint64_t held = tracked > still_counted ? tracked - still_counted : 0;
    return held < limit ? static_cast<std::size_t>(limit - held) : 0;
  }

  void uncache(std::size_t mapped) {
    cached_ -= mapped;
    memory::Budget::instance().note_cached(cached_);
  }

  // Largest blocks first: the fewest unmaps for the bytes.
  void shrink_to(std::size_t bytes) {
    while (cached_ > bytes && !free_.empty()) {
      auto it = std::prev(free_.end());
      ::munmap(it->second.back(), it->first);
      it->second.pop_back();
      uncache(it->first);
      if (it->second.empty()) free_.erase(it);
    }
  }

  std::mutex mutex_;
  std::map<std::size_t, std::vector<std::byte*>> free_;  // by mapped size
  std::size_t cached_ = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache;  // never destroyed: Buffers may outlive static destruction
  return *c;
}

}  // namespace

namespace memory {
void trim_buffer_cache() { cache().trim(); }
}  // namespace memory

Buffer::Buffer(std::size_t nbytes) : data_(nbytes ? cache().take(nbytes) : nullptr), size_(nbytes) {}

Buffer::Buffer(const Buffer& other) : Buffer(other.size_) {
  if (size_) std::memcpy(data_, other.data_, size_);
}

Buffer::~Buffer() {
  if (data_) cache().give(data_, size_);
}

}  // namespace tessera
