#pragma once
// Lines to a text file, compressed by its extension (.gz, .zst), for Bag.to_textfiles.
//
//   text::TextWriter out("out/part-0.json.gz");   // creates out/ when missing
//   for (const auto& record : records) out.write_line(to_json(record));
//   out.close();                                   // errors show here, naming the file
//
// gzip is written as one member per 4 MiB of lines (libdeflate compresses
// whole buffers only); every gzip reader reads such a file as one stream.
#include "io/text/decompress.hpp"

#include <string>
#include <string_view>
#include <vector>

struct libdeflate_compressor;
struct ZSTD_CCtx_s;

namespace tessera::text {

class TextWriter {
 public:
  /// Creates (or truncates) `path` and its parent directories. InputError naming the file when it cannot.
  explicit TextWriter(std::string path);
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;
  /// Closes the file if close() was not called; an error is lost then.
  ~TextWriter();

  /// Appends `line` and a '\n'. The line should hold no '\n' of its own.
  void write_line(std::string_view line);
  /// Writes what is buffered and closes the file. InputError naming the file on a failed write.
  void close();
  const std::string& path() const { return path_; }

 private:
  void write_pending(bool last);
  void write_out(const char* bytes, std::size_t size);

  std::string path_;
  Compression compression_ = Compression::none;
  int fd_ = -1;
  std::string pending_;  // lines not yet compressed or written
  ByteBuffer encoded_;   // compressed output, reused
  libdeflate_compressor* gzip_ = nullptr;
  ZSTD_CCtx_s* zstd_ = nullptr;
};

/// Writes `lines`, each followed by '\n', to `path` (compressed by extension).
void write_text(const std::string& path, const std::vector<std::string>& lines);

}  // namespace tessera::text
