#include <tessera/key.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace tessera {
namespace {

// FNV-1a over bytes, then a 64-bit finaliser: content-only, so identical on every rank.
std::uint64_t hash_bytes(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// Names are interned once and never freed: the set of key prefixes in a
// program is small, and a stable string_view per id keeps str() lock-light.
class NameTable {
 public:
  NameTable() { entries_.push_back({std::string(), hash_bytes("")}); }

  std::uint32_t intern(std::string_view text) {
    if (text.empty()) return 0;
    {
      std::shared_lock lock(mutex_);
      if (auto it = ids_.find(text); it != ids_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = ids_.find(text); it != ids_.end()) return it->second;
    entries_.push_back({std::string(text), hash_bytes(text)});
    auto id = static_cast<std::uint32_t>(entries_.size() - 1);
    ids_.emplace(std::string_view(entries_.back().text), id);
    return id;
  }

  std::string_view text(std::uint32_t id) {
    std::shared_lock lock(mutex_);
    return entries_[id].text;
  }
  std::uint64_t hash(std::uint32_t id) {
    std::shared_lock lock(mutex_);
    return entries_[id].hash;
  }

 private:
  struct Entry {
    std::string text;
    std::uint64_t hash;
  };
  std::shared_mutex mutex_;
  std::deque<Entry> entries_;  // deque: growing never moves the strings the map views
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

NameTable& names() {
  static NameTable table;
  return table;
}

}  // namespace

KeyName::KeyName(std::string_view text) : id_(names().intern(text)) {}
std::string_view KeyName::str() const { return names().text(id_); }
std::uint64_t KeyName::hash() const { return names().hash(id_); }

Key::Key(KeyName name, std::span<const std::int64_t> index) : Key(name, 0, index) {}

Key::Key(KeyName name, std::uint64_t token, std::span<const std::int64_t> index)
    : name_(name), size_(static_cast<std::uint32_t>(index.size())), token_(token) {
  std::int64_t* dst = inline_;
  if (index.size() > inline_indices) {
    spill_ = std::make_unique<std::int64_t[]>(index.size());
    dst = spill_.get();
  }
  std::uint64_t h = name.hash();
  if (token_ != 0) h = mix(h, token_);  // plain names keep the hash they always had
  for (std::size_t i = 0; i < index.size(); ++i) {
    dst[i] = index[i];
    h = mix(h, static_cast<std::uint64_t>(index[i]));
  }
  hash_ = mix(h, index.size());
}

Key::Key(KeyName name, std::int64_t index) : Key(name, std::span<const std::int64_t>(&index, 1)) {}

Key::Key(const Key& other)
    : name_(other.name_), size_(other.size_), hash_(other.hash_), token_(other.token_) {
  std::copy(std::begin(other.inline_), std::end(other.inline_), inline_);
  if (other.spill_) {
    spill_ = std::make_unique<std::int64_t[]>(size_);
    std::copy_n(other.spill_.get(), size_, spill_.get());
  }
}

Key& Key::operator=(const Key& other) {
  if (this != &other) {
    Key copy(other);
    *this = std::move(copy);
  }
  return *this;
}

std::string Key::str() const {
  std::string out;
  out.reserve(32 + name_.str().size());
  write([&out](std::string_view part) { out.append(part); });
  return out;
}

bool operator==(const Key& a, const Key& b) {
  if (a.hash_ != b.hash_ || a.name_ != b.name_ || a.size_ != b.size_ || a.token_ != b.token_) return false;
  auto ia = a.index(), ib = b.index();
  return std::equal(ia.begin(), ia.end(), ib.begin());
}

std::strong_ordering operator<=>(const Key& a, const Key& b) {
  if (a.name_ != b.name_) {
    auto c = a.name_.str().compare(b.name_.str());
    return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  if (a.token_ != b.token_) return a.token_ <=> b.token_;
  auto ia = a.index(), ib = b.index();
  return std::lexicographical_compare_three_way(ia.begin(), ia.end(), ib.begin(), ib.end());
}

}  // namespace tessera
