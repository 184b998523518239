#include "io/csv/block_start.hpp"

#include <algorithm>
#include <vector>

namespace tessera::csv {

namespace {

// One row scanned from `from` in `state`, loading the file as needed.
// next: the row's end; -1 when the row cannot be (EOF inside quotes, or
// longer than kMaxSplitRowBytes, which a split file does not allow).
struct Scanned {
  std::int64_t next = -1;
  int fields = 0;
};

Scanned scan_one(FileBytes& file, std::int64_t from, QuoteState state, Dialect dialect) {
  // Scan what is loaded first; load more (growing, up to the row bound) only when the row goes on.
  // Never past the bound: a mapped file is loaded whole, and a candidate
  // "inside quotes" in a file without quotes would otherwise be read to EOF
  // (from every block start: quadratic in the blocks of a file).
  std::int64_t window = std::int64_t{1} << 20;
  if (from < file.loaded_begin() || from >= file.loaded_end()) file.load(from, from + window);
  for (;;) {
    const std::int64_t limit = std::min(file.loaded_end(), from + kMaxSplitRowBytes);
    const bool at_eof = limit == file.size();
    const RowEnd end = scan_row_end(file.at(from), file.at(limit), at_eof, state, dialect);
    if (end.next) return {from + (end.next - file.at(from)), end.fields};
    // No '\n' in the row's first kMaxSplitRowBytes bytes: longer than a split file allows.
    if (end.open_quote || limit - from >= kMaxSplitRowBytes) return {};
    window = std::min(std::max(window, file.loaded_end() - from) * 4, kMaxSplitRowBytes);
    file.load(from, from + window);
  }
}

}  // namespace

std::int64_t first_row_start(FileBytes& file, std::int64_t begin, const RowRules& rules) {
  const Dialect d = rules.dialect;
  file.load(begin - 1, begin + (1 << 16));
  const char before = *file.at(begin - 1);

  // The states the byte before `begin` can leave the tokenizer in (a '\n'
  // outside quotes: a row starts at `begin`).
  std::vector<std::int64_t> starts;
  auto candidate = [&](QuoteState state) {
    const Scanned s = scan_one(file, begin, state, d);
    if (s.next >= 0) starts.push_back(s.next);
  };
  if (before == '\n') starts.push_back(begin);
  else if (before == d.sep) candidate(QuoteState::start_field);
  else candidate(QuoteState::in_field);
  candidate(QuoteState::in_quoted);
  if (before == d.quote) candidate(QuoteState::quote_in_quoted);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  if (starts.size() == 1) return starts[0];

  // They disagree. Follow each candidate's rows, the one furthest behind
  // first: a candidate is ruled out by what the true parse cannot contain
  // without failing the read anyway (EOF inside quotes, a row longer than
  // kMaxSplitRowBytes, too many fields when those are errors). When one is
  // left, it is the truth. When two reach the same row start, nothing later
  // can tell them apart, and text that merely looks like rows (a quoted
  // "a,b\n1,2") could fool any guess: scan from the file's start instead.
  if (!starts.empty()) {
    std::vector<std::int64_t> at = starts;  // each live candidate's current row start
    std::vector<bool> live(at.size(), true);
    const std::int64_t budget = begin + 2 * kMaxSplitRowBytes;
    for (;;) {
      std::size_t alive = 0, behind = 0;
      for (std::size_t i = 0; i < at.size(); ++i) {
        if (!live[i]) continue;
        if (alive++ == 0 || at[i] < at[behind]) behind = i;
      }
      if (alive == 1) return starts[behind];
      if (alive == 0 || at[behind] > budget) break;
      bool synced = false;
      for (std::size_t i = 0; i < at.size(); ++i) synced |= live[i] && i != behind && at[i] == at[behind];
      if (synced) break;
      const Scanned row = scan_one(file, at[behind], QuoteState::start_field, d);
      if (row.next < 0 || (rules.too_many_is_error && row.fields > rules.fields)) live[behind] = false;
      else at[behind] = row.next;
    }
  }
  return first_row_start_from_file_start(file, begin, d);
}

std::int64_t first_row_start_from_file_start(FileBytes& file, std::int64_t begin, Dialect dialect) {
  std::int64_t pos = 0;
  while (pos < begin) {
    const Scanned row = scan_one(file, pos, QuoteState::start_field, dialect);
    if (row.next < 0) return file.size();  // an unterminated quote: no row starts after it
    pos = row.next;
  }
  return pos;
}

}  // namespace tessera::csv
