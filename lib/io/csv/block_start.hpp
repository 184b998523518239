#pragma once
// Where a block's first row starts when the block begins mid-file (STYLE.md
// §8.7): the byte before `begin` leaves the tokenizer in one of a few states;
// each gives a first row start, and when they disagree the wrong ones are
// ruled out, or the file is scanned from its start.
#include "io/csv/file_bytes.hpp"
#include "io/csv/row_scanner.hpp"

#include <cstdint>

namespace tessera::csv {

/// A row longer than this is an InputError in a file read in more than one
/// block (DuckDB's max_line_size is 2,000,000 bytes): that bound is what
/// lets a block rule out "begin is inside a quoted field" by reading ahead.
constexpr std::int64_t kMaxSplitRowBytes = std::int64_t{4} << 20;

struct RowRules {
  Dialect dialect;
  int fields = 0;                   // a row with more is an error ...
  bool too_many_is_error = true;    // ... unless on_bad_lines skips it
};

/// The first byte at or after `begin` (> 0) where a row starts (after a '\n'
/// outside quotes), or file.size() when none does. Loads what it reads.
std::int64_t first_row_start(FileBytes& file, std::int64_t begin, const RowRules& rules);

/// The same, found by tokenizing the file from its start (exact, O(begin)).
std::int64_t first_row_start_from_file_start(FileBytes& file, std::int64_t begin, Dialect dialect);

}  // namespace tessera::csv
