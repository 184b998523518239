#pragma once
// Rows out of CSV bytes: pandas' tokenizer states (RFC 4180 quoting, lenient
// where pandas is), with a fast path for rows without a quote character:
// one pass up to the next quote (found with memchr) for separators and the newline.
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
    if (quote_ == nullptr || p > quote_ || limit != limit_) find_quote(p, limit, kQuoteLookahead);
    // Up to the next quote, one pass finds the separators and the newline
    // (fields of a few bytes: cheaper than a memchr call for each).
    fields_.clear();
    const char sep = dialect_.sep;
    const char* field = p;
    const char* q = p;
    for (; q < quote_; ++q) {
      const char c = *q;
      if (c == sep) {
        fields_.emplace_back(field, static_cast<std::size_t>(q - field));
        field = q + 1;
      } else if (c == '\n') {
        break;
      }
    }
    if (q == quote_) {
      if (quote_found_) return quoted_row(p, limit, at_eof, next);  // a quote before the row's end
      if (q < limit) {  // the look-ahead ended mid-row: look further, then read the row again
        find_quote(p, limit, 2 * (q - p) + kQuoteLookahead);
        return this->next(p, limit, at_eof, next);
      }
      if (!at_eof) return RowStatus::need_more;
      next = limit;
    } else {
      next = q + 1;
    }
    const char* end = q;
    if (end > field && end[-1] == '\r') --end;  // "\r\n"
    if (end == p) return RowStatus::blank;
    fields_.emplace_back(field, static_cast<std::size_t>(end - field));
    return RowStatus::row;
  }

  std::span<const std::string_view> fields() const { return fields_; }
  /// Forgets where the next quote is (call when the data has moved).
  void reset() { quote_ = limit_ = nullptr; }
  Dialect dialect() const { return dialect_; }

 private:
  RowStatus quoted_row(const char* p, const char* limit, bool at_eof, const char*& next);

  // Looks for the next quote a bounded distance ahead: far enough to amortise
  // the call, near enough that the bytes are still in cache when parsed.
  static constexpr std::ptrdiff_t kQuoteLookahead = 64 << 10;
  void find_quote(const char* p, const char* limit, std::ptrdiff_t distance) {
    const char* end = limit - p > distance ? p + distance : limit;
    const void* q = std::memchr(p, dialect_.quote, static_cast<std::size_t>(end - p));
    quote_found_ = q != nullptr;
    quote_ = q ? static_cast<const char*>(q) : end;
    limit_ = limit;
  }

  Dialect dialect_;
  const char* quote_ = nullptr;  // the next quote at or after the last search's start, or where that search ended
  bool quote_found_ = false;     // quote_ is a quote
  const char* limit_ = nullptr;  // the data's end at that search
  std::vector<std::string_view> fields_;
  std::string scratch_;                // quoted rows' fields, unescaped
  std::vector<std::size_t> bounds_;    // their ends in scratch_
};

}  // namespace tessera::csv
