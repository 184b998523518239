#include "io/csv/row_scanner.hpp"

namespace tessera::csv {

namespace {

// What a scan does with the bytes: count fields, or also keep them.
struct FieldCounter {
  int fields = 0;
  void text(const char*, std::size_t, bool /*unquoted*/) {}
  void end_field() { ++fields; }
  void end_row() {}
};

struct FieldCollector {
  std::string& scratch;
  std::vector<std::size_t>& bounds;
  bool cr_last = false;  // the last byte kept is a '\r' outside quotes (of a "\r\n")
  void text(const char* p, std::size_t n, bool unquoted) {
    scratch.append(p, n);
    cr_last = unquoted && n > 0 && p[n - 1] == '\r';
  }
  void end_field() {
    bounds.push_back(scratch.size());
    cr_last = false;
  }
  void end_row() {
    if (cr_last) scratch.pop_back();
    end_field();
  }
};

struct Scan {
  const char* next = nullptr;  // after the row's '\n', or the data's end at EOF
  bool need_more = false, unterminated = false;
};

// pandas' tokenizer (tokenizer.c) for one row, from `state`.
template <class Sink>
Scan scan(const char* p, const char* limit, bool at_eof, QuoteState state, Dialect d, Sink& sink) {
  const char* run = p;  // start of the text not yet given to the sink
  auto flush = [&](const char* to, bool unquoted) {
    sink.text(run, static_cast<std::size_t>(to - run), unquoted);
  };
  while (p < limit) {
    const char c = *p;
    switch (state) {
      case QuoteState::start_field:
        if (c == d.quote) {
          state = QuoteState::in_quoted;
          run = p + 1;
          break;
        }
        run = p;
        state = QuoteState::in_field;
        [[fallthrough]];
      case QuoteState::in_field:
        if (c == d.sep || c == '\n') {
          flush(p, true);
          if (c == '\n') {
            sink.end_row();
            return {p + 1, false, false};
          }
          sink.end_field();
          state = QuoteState::start_field;
        }
        break;
      case QuoteState::in_quoted: {
        // Everything up to the next quote is the field's text.
        const void* q = std::memchr(p, d.quote, static_cast<std::size_t>(limit - p));
        if (!q) {
          p = limit;
          continue;
        }
        p = static_cast<const char*>(q);
        flush(p, false);
        state = QuoteState::quote_in_quoted;
        break;
      }
      case QuoteState::quote_in_quoted:
        if (c == d.quote) {  // a doubled quote: one quote of text
          run = p;
          state = QuoteState::in_quoted;
        } else if (c == d.sep) {
          sink.end_field();
          state = QuoteState::start_field;
        } else if (c == '\n') {
          sink.end_row();
          return {p + 1, false, false};
        } else {  // text after the closing quote: pandas keeps it
          run = p;
          state = QuoteState::in_field;
        }
        break;
    }
    ++p;
  }
  if (!at_eof) return {nullptr, true, false};
  if (state == QuoteState::in_quoted) return {nullptr, false, true};
  if (state == QuoteState::in_field) flush(limit, true);
  sink.end_row();
  return {limit, false, false};
}

}  // namespace

RowEnd scan_row_end(const char* p, const char* limit, bool at_eof, QuoteState state, Dialect dialect) {
  FieldCounter counter;
  const Scan s = scan(p, limit, at_eof, state, dialect, counter);
  return {s.next, counter.fields, s.unterminated};
}

RowStatus RowScanner::quoted_row(const char* p, const char* limit, bool at_eof, const char*& next) {
  scratch_.clear();
  bounds_.clear();
  FieldCollector collector{scratch_, bounds_};
  const Scan s = scan(p, limit, at_eof, QuoteState::start_field, dialect_, collector);
  if (s.need_more) return RowStatus::need_more;
  if (s.unterminated) return RowStatus::unterminated;
  next = s.next;
  fields_.clear();
  std::size_t from = 0;
  for (const std::size_t to : bounds_) {
    fields_.emplace_back(scratch_.data() + from, to - from);
    from = to;
  }
  return RowStatus::row;
}

}  // namespace tessera::csv
