#pragma once
// Rows out of CSV bytes: pandas' tokenizer states (RFC 4180 quoting, lenient
// where pandas is), with a fast path for rows without a quote character:
// memchr for the newline, then for each separator.
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

enum class RowStatus : std::uint8_t { row, blank, need_more, unterminated };

/// Splits rows into fields (views into the data, or into its own scratch for
/// quoted fields). One per parsing thread; reset() when the data moves.
class RowScanner {
 public:
  explicit RowScanner(Dialect dialect) : dialect_(dialect) {}

  /// Tokenizes the row starting at `p`. row: fields() and `next` (after its
  /// newline) are set; blank: only `next`; need_more: the row does not end
  /// before `limit` (and !at_eof); unterminated: EOF inside a quoted field.
  RowStatus next(const char* p, const char* limit, bool at_eof, const char*& next) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(limit - p));
    const char* line_end = nl ? static_cast<const char*>(nl) : limit;
    if (!nl && !at_eof) return RowStatus::need_more;
    if (quote_ == nullptr || p > quote_ || (quote_ == quote_limit_ && limit != quote_limit_)) {
      const void* q = std::memchr(p, dialect_.quote, static_cast<std::size_t>(limit - p));
      quote_ = q ? static_cast<const char*>(q) : limit;
      quote_limit_ = limit;
    }
    if (quote_ < line_end) return quoted_row(p, limit, at_eof, next);
    next = nl ? line_end + 1 : limit;
    const char* end = line_end;
    if (end > p && end[-1] == '\r') --end;  // "\r\n"
    if (end == p) return RowStatus::blank;
    fields_.clear();
    for (const char* f = p;;) {
      const void* s = std::memchr(f, dialect_.sep, static_cast<std::size_t>(end - f));
      if (!s) {
        fields_.emplace_back(f, static_cast<std::size_t>(end - f));
        break;
      }
      fields_.emplace_back(f, static_cast<std::size_t>(static_cast<const char*>(s) - f));
      f = static_cast<const char*>(s) + 1;
    }
    return RowStatus::row;
  }

  std::span<const std::string_view> fields() const { return fields_; }
  /// Forgets where the next quote is (call when the data has moved).
  void reset() { quote_ = quote_limit_ = nullptr; }
  Dialect dialect() const { return dialect_; }

 private:
  RowStatus quoted_row(const char* p, const char* limit, bool at_eof, const char*& next);

  Dialect dialect_;
  const char* quote_ = nullptr;        // the first quote at or after the last row start, or quote_limit_
  const char* quote_limit_ = nullptr;  // the data's end when quote_ was found
  std::vector<std::string_view> fields_;
  std::string scratch_;                // quoted rows' fields, unescaped
  std::vector<std::size_t> bounds_;    // their ends in scratch_
};

}  // namespace tessera::csv
