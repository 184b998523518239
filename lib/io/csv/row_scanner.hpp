#pragma once
// Rows out of CSV bytes: pandas' tokenizer states (RFC 4180 quoting, lenient
// where pandas is), with a fast path for rows without a quote character:
// 64-byte chunks classified with SIMD (separators, newlines and quotes in one
// pass); a row with a quote goes to the tokenizer.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::csv {

struct Dialect {
  char sep = ',';
  char quote = '"';
};

/// Where the tokenizer is within a row. As pandas: a quote opens a quoted
/// field only at a field's start; inside one, a doubled quote is a quote; a
/// quote elsewhere, and text after a closing quote, are kept as text.
enum class QuoteState : std::uint8_t { start_field, in_field, in_quoted, quote_in_quoted };

/// The end of one row scanned from some state, without keeping its fields.
struct RowEnd {
  const char* next = nullptr;  // the byte after the row's '\n' (the data's end at EOF); null: not within the data
  int fields = 0;              // fields the row has (counted from the scan's start)
  bool open_quote = false;     // the data ended inside a quoted field
};

/// Scans from `p` in `state` to the row's end: the first '\n' outside quotes,
/// or `limit` when it is the end of the file (`at_eof`).
RowEnd scan_row_end(const char* p, const char* limit, bool at_eof, QuoteState state, Dialect dialect);

/// Bit i of the result: at[i] (of 64 bytes) is `a`, `b` or `c`.
using ChunkMarker = std::uint64_t (*)(const char* at, char a, char b, char c);
/// Each version this CPU can run (SSE2, AVX2), for tests; the scanner uses the last.
std::vector<ChunkMarker> chunk_markers();

enum class RowStatus : std::uint8_t { row, blank, need_more, unterminated };

/// Splits rows into fields (views into the data, or into its own scratch for
/// quoted fields). One per parsing thread; reset() when the data moves.
class RowScanner {
 public:
  explicit RowScanner(Dialect dialect) : dialect_(dialect) {}

  /// Tokenizes the row starting at `p`. row: fields() and `next` (after its
  /// newline) are set; blank: only `next`; need_more: the row does not end
  /// before `limit` (and !at_eof); unterminated: EOF inside a quoted field.
  RowStatus next(const char* p, const char* limit, bool at_eof, const char*& next);

  std::span<const std::string_view> fields() const { return fields_; }
  /// Forgets the bytes it has classified (call when the data has moved).
  void reset() { chunk_ = limit_ = nullptr; }
  Dialect dialect() const { return dialect_; }

 private:
  RowStatus quoted_row(const char* p, const char* limit, bool at_eof, const char*& next);
  RowStatus last_field(const char* p, const char* field, const char* end);
  // Classifies the 64 bytes at `at` (fewer before `limit`) into structural_.
  void load_chunk(const char* at, const char* limit);

  Dialect dialect_;
  // Rows without quotes are split 64 bytes at a time: one SIMD pass marks
  // every separator, newline and quote, and the row walks the marks.
  const char* chunk_ = nullptr;  // the bytes structural_ describes
  const char* limit_ = nullptr;  // the data's end when they were classified
  std::uint64_t structural_ = 0;  // bit i: chunk_[i] is the separator, '\n' or the quote (0 at and past limit_)
  std::vector<std::string_view> fields_;
  std::string scratch_;                // quoted rows' fields, unescaped
  std::vector<std::size_t> bounds_;    // their ends in scratch_
};

}  // namespace tessera::csv
