#pragma once
// Lines of text files in parts, for the Bag (STYLE.md §8.8; Dask's bag/text.py).
//
//   for (const text::TextPart& part : text::plan_text("logs/*.json*", 64 << 20)) {  // one task each
//     text::TextReader reader(part);
//     reader.for_each_line([&](std::string_view line, std::int64_t line_number) {
//       if (!parse(line)) throw InputError(part.path + " line " + std::to_string(reader.line_number_of(line)));
//     });
//   }
//
// A line belongs to the part that holds its first byte: a part that does not
// start a file skips to just after the first '\n' at or after its first byte
// minus one, and every part reads past its end to finish its last line. So
// any blocksize gives the lines of one whole-file read, each exactly once.
#include "io/csv/file_bytes.hpp"
#include "io/text/decompress.hpp"

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::text {

/// One partition: the lines of `path` whose first byte lies in [begin, end).
struct TextPart {
  std::string path;
  std::int64_t begin = 0, end = 0;  // byte offsets; a compressed file: 0 and its (compressed) size, read whole
  Compression compression = Compression::none;
};

/// The sorted files of `glob` (io::expand_glob), one part per compressed file
/// (.gz, .zst) and, for the others, one per `blocksize` bytes (one per file
/// when blocksize <= 0; an empty file still gives one, empty, part).
/// InputError naming the pattern when nothing matches, or the file that
/// cannot be opened.
std::vector<TextPart> plan_text(const std::string& glob, std::int64_t blocksize);

/// Reads one part's lines: a plain file mapped (csv::FileBytes), a
/// compressed one decompressed whole when the reader is made.
class TextReader {
 public:
  /// InputError naming the file when it cannot be opened or decoded.
  explicit TextReader(TextPart part);
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;
  ~TextReader();

  /// Calls f(line, line_number) for every line of the part, in order. The
  /// line has no '\n' and no '\r' before it (a last line without '\n' keeps
  /// all its bytes); the view is valid during the call only. line_number is
  /// the 1-based line in the file when known for free (compressed files, a
  /// file's first part), else -1: ask line_number_of(line) then, which
  /// counts the '\n's before it (only an error needs that).
  template <class F>
  void for_each_line(F&& f);

  /// The 1-based line of the file at which `line` (a view passed to
  /// for_each_line's f, during that call) starts.
  std::int64_t line_number_of(std::string_view line);

  const TextPart& part() const { return part_; }

 private:
  std::int64_t first_line_start();
  // The loaded bytes from `from` on, at least up to `to` (or the end of the file).
  std::string_view loaded_from(std::int64_t from, std::int64_t to);
  static std::string_view without_cr(std::string_view line) {
    return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
  }

  TextPart part_;
  csv::FileBytes file_;  // an uncompressed part
  ByteBuffer inflated_;  // a compressed part, whole
  std::size_t counted_to_ = 0;   // '\n's in inflated_'s [0, counted_to_): ascending
  std::int64_t newlines_ = 0;    // questions (an error per line, say) count each byte once
};

/// TextReader(part).for_each_line(f), for callers that do not need the reader.
void read_lines(const TextPart& part, const std::function<void(std::string_view line, std::int64_t line_number)>& f);

/// The 1-based line of part.path at byte `offset_in_part` from part.begin
/// (from the start of the decompressed bytes for a compressed file).
std::int64_t line_number_of(const TextPart& part, std::int64_t offset_in_part);

template <class F>
void TextReader::for_each_line(F&& f) {
  if (part_.compression != Compression::none) {
    std::string_view rest(inflated_.data(), inflated_.size());
    for (std::int64_t number = 1; !rest.empty(); ++number) {
      const std::size_t newline = rest.find('\n');
      if (newline == std::string_view::npos) {
        f(rest, number);  // the last line has no '\n'
        break;
      }
      f(without_cr(rest.substr(0, newline)), number);
      rest.remove_prefix(newline + 1);
    }
    return;
  }
  std::int64_t pos = first_line_start();
  std::int64_t number = part_.begin == 0 ? 1 : -1;
  std::int64_t load_to = part_.end;
  // A mapped file is loaded whole, so this runs once; the pread fallback
  // loads more when the part's last line runs past what is loaded.
  while (pos < part_.end) {
    const std::string_view rest = loaded_from(pos, load_to);
    const bool reaches_end_of_file = pos + static_cast<std::int64_t>(rest.size()) == file_.size();
    std::size_t at = 0;
    while (pos + static_cast<std::int64_t>(at) < part_.end) {
      const void* newline = std::memchr(rest.data() + at, '\n', rest.size() - at);
      if (newline == nullptr) break;
      const auto line_end = static_cast<std::size_t>(static_cast<const char*>(newline) - rest.data());
      f(without_cr(rest.substr(at, line_end - at)), number);
      if (number > 0) ++number;
      at = line_end + 1;
    }
    if (pos + static_cast<std::int64_t>(at) >= part_.end) break;
    if (reaches_end_of_file) {
      f(rest.substr(at), number);  // the file's last line has no '\n'
      break;
    }
    pos += static_cast<std::int64_t>(at);
    load_to = pos + std::max<std::int64_t>(2 * static_cast<std::int64_t>(rest.size() - at), 1 << 20);
  }
}

}  // namespace tessera::text
