// Bags over text and JSON-lines files, and their writing (include/tessera/io/text.hpp).
#include <tessera/error.hpp>
#include <tessera/io/text.hpp>
#include <tessera/token.hpp>

#include "io/text/text_reader.hpp"
#include "io/text/text_writer.hpp"
#include "json/pluck_view.hpp"

#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace tessera::bag {
namespace {

namespace fs = std::filesystem;

// What the files are: their paths, sizes and modification times, and the parts.
std::uint64_t files_token(std::string_view op, const std::vector<text::TextPart>& parts, std::int64_t blocksize) {
  TokenHasher h;
  h.add(op);
  h.add(blocksize);
  std::string last;
  for (const auto& p : parts) {
    h.add(p.begin);
    h.add(p.end);
    if (p.path == last) continue;
    last = p.path;
    h.add(p.path);
    std::error_code ec;
    h.add(static_cast<std::int64_t>(fs::file_size(p.path, ec)));
    h.add(static_cast<std::int64_t>(fs::last_write_time(p.path, ec).time_since_epoch().count()));
  }
  return h.value();
}

std::string where(text::TextReader& reader, std::string_view line, std::int64_t number) {
  const std::int64_t n = number >= 0 ? number : reader.line_number_of(line);
  return reader.part().path + ", line " + std::to_string(n);
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Each non-blank line of a part through `each(line)`; a bad line is skipped
// (and counted) when the options say so, else an error naming file and line.
template <class Each>
void for_each_record(const text::TextPart& part, const JsonOptions& options, Each&& each) {
  text::TextReader reader(part);
  reader.for_each_line([&](std::string_view line, std::int64_t number) {
    if (blank(line)) return;
    try {
      each(line);
    } catch (const Error& e) {
      const bool bad_json = e.info().kind == ErrorKind::input;
      if (bad_json && options.skip_bad_lines) {
        if (options.skipped) options.skipped->fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ErrorInfo info = e.info();
      info.message = where(reader, line, number) + ": " + info.message;
      throw_error(std::move(info));
    }
  });
}

// The records of part i, each through `make(line)` (a parse, or one field's pluck).
template <class Make>
Value read_records(const text::TextPart& part, const JsonOptions& options, Make&& make) {
  std::vector<Json> out;
  for_each_record(part, options, [&](std::string_view line) { out.push_back(make(line)); });
  return Value::of(std::move(out));
}

[[noreturn]] void no_such_key(const std::string& field) {
  throw TypeError("the record has no key \"" + field + "\"");  // not a bad line: never skipped
}

// Field values are mostly short (names, categories): two overlapping loads
// and a multiply-mix hash them, where std::hash's loop was 8% of a count.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    const std::size_t n = s.size();
    if (n > 16) return std::hash<std::string_view>()(s);
    std::uint64_t head = 0, tail = 0;
    if (n >= 8) {
      std::memcpy(&head, s.data(), 8);
      std::memcpy(&tail, s.data() + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t a = 0, b = 0;
      std::memcpy(&a, s.data(), 4);
      std::memcpy(&b, s.data() + n - 4, 4);
      head = a;
      tail = b;
    } else if (n > 0) {
      head = static_cast<unsigned char>(s[0]) | (std::uint64_t{static_cast<unsigned char>(s[n / 2])} << 8) |
             (std::uint64_t{static_cast<unsigned char>(s[n - 1])} << 16);
    }
    std::uint64_t h = (head ^ (n * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    h ^= (tail + (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
};

// Part i's values of `field` and how often each occurs, in first-appearance
// order, as frequencies() makes them from the plucked records; a string value
// is looked up by its text in place, so a repeated one costs no allocation.
class FieldCounts {
 public:
  void add_text(std::string_view text) {
    auto it = strings_.find(text);
    if (it == strings_.end()) {
      it = strings_.emplace(std::string(text), entries_.size()).first;
      entries_.emplace_back(Json(text), 0);
    }
    ++entries_[it->second].second;
  }
  void add(const Json& value) {
    if (value.is_string()) return add_text(value.as_string());
    auto [it, added] = others_.try_emplace(value, entries_.size());
    if (added) entries_.emplace_back(value, 0);
    ++entries_[it->second].second;
  }
  std::vector<std::pair<Json, std::int64_t>> take() { return std::move(entries_); }

 private:
  std::vector<std::pair<Json, std::int64_t>> entries_;
  std::unordered_map<std::string, std::size_t, TextHash, std::equal_to<>> strings_;
  std::unordered_map<Json, std::size_t> others_;
};

Value count_field(const text::TextPart& part, const JsonOptions& options, const std::string& field,
                  const std::optional<Json>& fallback) {
  FieldCounts counts;
  for_each_record(part, options, [&](std::string_view line) {
    const json::PluckedField found = json::pluck_field_view(line, field);
    switch (found.kind) {
      case json::PluckedField::Kind::string: return counts.add_text(found.text);
      case json::PluckedField::Kind::other: return counts.add(found.value);
      case json::PluckedField::Kind::missing:
        if (!fallback) no_such_key(field);
        return counts.add(*fallback);
    }
  });
  return Value::of(counts.take());
}

std::string path_of(const std::string& pattern, std::int64_t i) {
  const auto star = pattern.find('*');
  if (star == std::string::npos) return (fs::path(pattern) / (std::to_string(i) + ".part")).string();
  return pattern.substr(0, star) + std::to_string(i) + pattern.substr(star + 1);
}

}  // namespace

Bag<std::string> read_text(const std::string& glob, const TextOptions& options) {
  auto parts = std::make_shared<const std::vector<text::TextPart>>(text::plan_text(glob, options.blocksize));
  const auto n = static_cast<std::int64_t>(parts->size());
  return Bag<std::string>(detail::from_reader(n, "read-text", files_token("read-text", *parts, options.blocksize),
                                              [parts](std::int64_t i) {
                                                std::vector<std::string> lines;
                                                text::TextReader reader((*parts)[static_cast<std::size_t>(i)]);
                                                reader.for_each_line([&](std::string_view line, std::int64_t) {
                                                  lines.emplace_back(line);
                                                });
                                                return Value::of(std::move(lines));
                                              }));
}

Bag<Json> read_json(const std::string& glob, const JsonOptions& options) {
  auto parts = std::make_shared<const std::vector<text::TextPart>>(text::plan_text(glob, options.blocksize));
  const auto n = static_cast<std::int64_t>(parts->size());
  TokenHasher h;
  h.mix(files_token("read-json", *parts, options.blocksize));
  h.add(static_cast<int>(options.skip_bad_lines));
  const std::uint64_t token = h.value();
  auto whole = detail::from_reader(n, "read-json", token, [parts, options](std::int64_t i) {
    return read_records((*parts)[static_cast<std::size_t>(i)], options, [](std::string_view line) { return Json::parse(line); });
  });
  // A pluck straight after parses only its field of each line (pluck_field stops there).
  auto fields = [parts, options, n, token](const std::string& field, const Value& default_value) {
    TokenHasher t;
    t.mix(token);
    t.add(field);
    if (default_value) t.add(default_value.get<Json>().dump());
    std::optional<Json> fallback;
    if (default_value) fallback = default_value.get<Json>();
    const std::uint64_t plucked = t.value();
    auto values = detail::from_reader(n, "read-json-pluck", plucked, [parts, options, field, fallback](std::int64_t i) {
      return read_records((*parts)[static_cast<std::size_t>(i)], options, [&](std::string_view line) {
        if (auto v = pluck_field(line, field)) return std::move(*v);
        if (!fallback) no_such_key(field);
        return *fallback;
      });
    });
    auto counted = [parts, options, field, fallback, n, plucked] {
      TokenHasher c;
      c.mix(plucked);
      c.add("count");
      return detail::from_reader(n, "read-json-count", c.value(), [parts, options, field, fallback](std::int64_t i) {
        return count_field((*parts)[static_cast<std::size_t>(i)], options, field, fallback);
      });
    };
    return detail::with_count_reader(std::move(values), std::move(counted));
  };
  return Bag<Json>(detail::with_field_reader(std::move(whole), std::move(fields)));
}

std::vector<std::string> to_textfiles(const Bag<std::string>& lines, const std::string& pattern,
                                      const ComputeOptions& options) {
  TokenHasher h;
  h.add(pattern);
  auto write = [pattern](const Value& v, std::int64_t i) {
    const std::string path = path_of(pattern, i);
    text::write_text(path, v.get<std::vector<std::string>>());
    return Value::of(std::vector<std::string>{path});
  };
  return Bag<std::string>(detail::derive(lines.expr(), "to-textfiles", h.value(), std::move(write))).compute(options);
}

std::vector<std::string> to_textfiles(const Bag<Json>& records, const std::string& pattern, const ComputeOptions& options) {
  return to_textfiles(records.map([](const Json& j) { return j.dump(); }), pattern, options);
}

}  // namespace tessera::bag
