#pragma once
/// Text and JSON-lines files as Bags (Dask's db.read_text, to_textfiles).
///
///     #include <tessera/io/text.hpp>
///     namespace db = tessera::bag;
///
///     auto names = db::read_json("2015-*-*.json.gz").pluck("name");       // only "name" is parsed
///     auto top = names.frequencies().topk(10, [](const auto& p) { return p.second; }).compute();
///     auto lines = db::read_text("logs/*.log", {.blocksize = 64 << 20});   // one partition per 64 MiB
///     db::to_textfiles(lines.filter(is_error), "errors/*.txt.gz");         // '*': the partition number
///
/// Files come from the sorted glob (expanded by Tessera, not the shell).
/// `.gz` (libdeflate) and `.zst` files are read whole, one partition each;
/// plain files one partition per file, or per `blocksize` bytes, each line in
/// the partition that holds its first byte. Lines come without '\n' (and a
/// '\r' before it). A malformed JSON line is an InputError naming the file
/// and the line, unless bad lines are skipped (and counted).
#include <tessera/bag.hpp>
#include <tessera/json.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::bag {

struct TextOptions {
  std::int64_t blocksize = 0;  // plain files: bytes per partition; 0: one partition per file
};

/// The lines of the files of `glob`.
Bag<std::string> read_text(const std::string& glob, const TextOptions& options = {});

struct JsonOptions {
  std::int64_t blocksize = 0;
  bool skip_bad_lines = false;                    // else a bad line is an error naming file and line
  std::atomic<std::int64_t>* skipped = nullptr;   // with skip_bad_lines: this process adds the lines it skipped
};

/// One Json per non-blank line of the files of `glob` (Dask's
/// read_text(...).map(json.loads)). A pluck straight after reads only that
/// field of each line; a missing field is an error naming file, line and
/// key unless pluck is given a default.
Bag<Json> read_json(const std::string& glob, const JsonOptions& options = {});

/// Writes partition i to `pattern` with '*' replaced by i (a pattern without
/// '*' is a directory: i.part in it), one line per item, compressed by the
/// extension (.gz, .zst); returns the paths written, in partition order.
std::vector<std::string> to_textfiles(const Bag<std::string>& lines, const std::string& pattern,
                                      const ComputeOptions& options = {});
/// JSON records written as one compact JSON text per line.
std::vector<std::string> to_textfiles(const Bag<Json>& records, const std::string& pattern,
                                      const ComputeOptions& options = {});

}  // namespace tessera::bag
