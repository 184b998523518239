#pragma once
/// Keys name tasks and their results, like Dask's `('sum-3f2a', 0, 1)`.
///
///     tessera::Key chunk("sum-3f2a", {0, 1});
///     chunk.str();        // ('sum-3f2a', 0, 1)
///     tessera::Key x("x");  // 'x'
///     tessera::Key load(tessera::KeyName("load"), token, {7});  // ('load-3f2a9c1d', 7)
///
/// A key is a name, an optional token (a content hash of what the task
/// computes, see token.hpp; shown after the name like Dask's 'load-3f2a9c1d')
/// and any number of integer indices. Keys are built from deterministic parts
/// only (names, content hashes, counters, chunk indices), so every rank builds
/// the same keys; hash() depends on the content alone and is the same on
/// every rank and in every run.
#include <charconv>
#include <compare>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tessera {

/// An interned key name: cheap to copy and compare. Interning the same text
/// twice gives the same KeyName.
class KeyName {
 public:
  KeyName() = default;
  explicit KeyName(std::string_view text);
  std::string_view str() const;
  std::uint64_t hash() const;
  std::uint32_t id() const { return id_; }
  friend bool operator==(KeyName a, KeyName b) { return a.id_ == b.id_; }

 private:
  std::uint32_t id_ = 0;  // 0 is the empty name
};

class Key {
 public:
  static constexpr std::size_t inline_indices = 4;

  Key() = default;
  explicit Key(std::string_view name) : Key(KeyName(name), std::span<const std::int64_t>()) {}
  Key(std::string_view name, std::initializer_list<std::int64_t> index)
      : Key(KeyName(name), std::span<const std::int64_t>(index.begin(), index.size())) {}
  Key(KeyName name, std::span<const std::int64_t> index);
  Key(KeyName name, std::int64_t index);
  /// A name with a token: the name stays the prefix (progress groups by it).
  Key(KeyName name, std::uint64_t token, std::span<const std::int64_t> index);

  Key(const Key& other);
  Key(Key&& other) noexcept = default;
  Key& operator=(const Key& other);
  Key& operator=(Key&& other) noexcept = default;
  ~Key() = default;

  KeyName name() const { return name_; }
  /// The content hash shown after the name, or 0 for a plain name.
  std::uint64_t token() const { return token_; }
  std::span<const std::int64_t> index() const {
    return {spill_ ? spill_.get() : inline_, size_};
  }
  bool empty() const { return name_.id() == 0 && size_ == 0; }
  std::uint64_t hash() const { return hash_; }
  /// Dask's notation: 'x' for a bare name, ('x', 0, 1) with indices.
  std::string str() const;
  /// The same text, in pieces to `sink(std::string_view)`, allocating
  /// nothing: a signal handler names a crashing task with it.
  template <class Sink>
  void write(Sink&& sink) const;

  friend bool operator==(const Key& a, const Key& b);
  /// Orders by name text, then indices: the same order on every rank.
  friend std::strong_ordering operator<=>(const Key& a, const Key& b);

 private:
  KeyName name_;
  std::uint32_t size_ = 0;
  std::uint64_t hash_ = 0;
  std::uint64_t token_ = 0;
  std::int64_t inline_[inline_indices] = {};
  std::unique_ptr<std::int64_t[]> spill_;  // only for keys with more than inline_indices
};

template <class Sink>
void Key::write(Sink&& sink) const {
  const bool tuple = size_ != 0;
  sink(std::string_view(tuple ? "('" : "'"));
  sink(name_.str());
  if (token_ != 0) {  // Dask shows a token as the name's suffix: 'load-3f2a9c1d'
    constexpr char digits[] = "0123456789abcdef";
    char hex[9] = {'-'};
    for (int i = 0; i < 8; ++i) hex[1 + i] = digits[(token_ >> (60 - 4 * i)) & 0xf];
    sink(std::string_view(hex, sizeof hex));
  }
  sink(std::string_view("'"));
  if (!tuple) return;
  for (const std::int64_t i : index()) {
    char number[24];
    const auto end = std::to_chars(number, number + sizeof number, i).ptr;
    sink(std::string_view(", "));
    sink(std::string_view(number, static_cast<std::size_t>(end - number)));
  }
  sink(std::string_view(")"));
}

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept { return static_cast<std::size_t>(k.hash()); }
};

}  // namespace tessera

template <>
struct std::hash<tessera::Key> : tessera::KeyHash {};
