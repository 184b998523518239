#include "io/csv/row_scanner.hpp"

#include <bit>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tessera::csv {

namespace {

#if defined(__x86_64__)
// SSE2 is part of x86-64: the fallback that always runs.
std::uint64_t mark_sse2(const char* at, char a, char b, char c) {
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
  std::uint64_t bits = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 16 * i));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)), _mm_cmpeq_epi8(v, vc));
    bits |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(hit))) << (16 * i);
  }
  return bits;
}

__attribute__((target("avx2"))) std::uint64_t mark_avx2(const char* at, char a, char b, char c) {
  const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b), vc = _mm256_set1_epi8(c);
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32));
  const __m256i hit_lo = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(lo, va), _mm256_cmpeq_epi8(lo, vb)),
                                         _mm256_cmpeq_epi8(lo, vc));
  const __m256i hit_hi = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(hi, va), _mm256_cmpeq_epi8(hi, vb)),
                                         _mm256_cmpeq_epi8(hi, vc));
  const auto low = static_cast<std::uint32_t>(_mm256_movemask_epi8(hit_lo));
  const auto high = static_cast<std::uint32_t>(_mm256_movemask_epi8(hit_hi));
  return (static_cast<std::uint64_t>(high) << 32) | low;
}

ChunkMarker pick_marker() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? mark_avx2 : mark_sse2;
}
#else
ChunkMarker pick_marker() {
  return [](const char* at, char a, char b, char c) {
    std::uint64_t bits = 0;
    for (int i = 0; i < 64; ++i) bits |= static_cast<std::uint64_t>(at[i] == a || at[i] == b || at[i] == c) << i;
    return bits;
  };
}
#endif

// Chosen once, for the CPU the process runs on (the binary targets any x86-64).
const ChunkMarker mark_chunk = pick_marker();

// The parse reads the page cache once, front to back: asking for the bytes
// 16 chunks ahead hides the memory's latency that the loads otherwise stall
// on (the hardware prefetcher restarts at each 4 KiB page).
constexpr std::ptrdiff_t kPrefetchAhead = 1024;

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

std::vector<ChunkMarker> chunk_markers() {
#if defined(__x86_64__)
  std::vector<ChunkMarker> markers{mark_sse2};
  if (__builtin_cpu_supports("avx2")) markers.push_back(mark_avx2);
  return markers;
#else
  return {pick_marker()};
#endif
}

RowEnd scan_row_end(const char* p, const char* limit, bool at_eof, QuoteState state, Dialect dialect) {
  FieldCounter counter;
  const Scan s = scan(p, limit, at_eof, state, dialect, counter);
  return {s.next, counter.fields, s.unterminated};
}

void RowScanner::load_chunk(const char* at, const char* limit) {
  chunk_ = at;
  limit_ = limit;
  const std::ptrdiff_t n = limit - at;
  if (n >= 64) {
    if (n >= kPrefetchAhead + 64) __builtin_prefetch(at + kPrefetchAhead);
    structural_ = mark_chunk(at, dialect_.sep, '\n', dialect_.quote);
    return;
  }
  // The data's last bytes: never read past `limit` (it may be a page's end).
  char tail[64] = {};
  if (n > 0) std::memcpy(tail, at, static_cast<std::size_t>(n));
  const std::uint64_t valid = n > 0 ? (std::uint64_t{1} << n) - 1 : 0;
  structural_ = mark_chunk(tail, dialect_.sep, '\n', dialect_.quote) & valid;
}

RowStatus RowScanner::next(const char* p, const char* limit, bool at_eof, const char*& next) {
  fields_.clear();
  if (limit != limit_ || p < chunk_ || p >= chunk_ + 64) load_chunk(p, limit);
  const char sep = dialect_.sep;
  const char* field = p;
  std::uint64_t marks = structural_ & (~std::uint64_t{0} << (p - chunk_));
  for (;;) {
    while (marks != 0) {
      const char* at = chunk_ + std::countr_zero(marks);
      marks &= marks - 1;
      const char c = *at;
      if (c == sep) {
        fields_.emplace_back(field, static_cast<std::size_t>(at - field));
        field = at + 1;
      } else if (c == '\n') {
        next = at + 1;
        return last_field(p, field, at);
      } else {
        return quoted_row(p, limit, at_eof, next);  // a quote before the row's end
      }
    }
    if (chunk_ + 64 >= limit) break;
    load_chunk(chunk_ + 64, limit);
    marks = structural_;
  }
  if (!at_eof) return RowStatus::need_more;
  next = limit;
  return last_field(p, field, limit);
}

// The row at `p` ends at `end` (its '\n' or EOF); its last field starts at `field`.
RowStatus RowScanner::last_field(const char* p, const char* field, const char* end) {
  if (end > field && end[-1] == '\r') --end;  // "\r\n"
  if (end == p) return RowStatus::blank;
  fields_.emplace_back(field, static_cast<std::size_t>(end - field));
  return RowStatus::row;
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
