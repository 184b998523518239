// Column expressions: their types, fixed when built (an error names the
// operation and both types), and their evaluation over a partition, one
// typed loop per operation. Nulls propagate through arithmetic; comparisons
// with a null are false (!= true), as pandas' NaN; & and | treat null as false.
#include "collections/dataframe/frame_expr.hpp"
#include "table/civil_time.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace tessera::dataframe::detail {

namespace {

const char* op_name(ColumnOp op) {
  switch (op) {
    case ColumnOp::add: return "+";
    case ColumnOp::subtract: return "-";
    case ColumnOp::multiply: return "*";
    case ColumnOp::divide: return "/";
    case ColumnOp::equal: return "==";
    case ColumnOp::not_equal: return "!=";
    case ColumnOp::less: return "<";
    case ColumnOp::less_equal: return "<=";
    case ColumnOp::greater: return ">";
    case ColumnOp::greater_equal: return ">=";
    case ColumnOp::logical_and: return "&";
    case ColumnOp::logical_or: return "|";
    case ColumnOp::logical_not: return "~";
    case ColumnOp::negate: return "negate";
    case ColumnOp::abs: return "abs";
    case ColumnOp::isna: return "isna";
    case ColumnOp::notna: return "notna";
    case ColumnOp::fillna: return "fillna";
    case ColumnOp::cast: return "astype";
    case ColumnOp::str_contains: return "str.contains";
    case ColumnOp::str_startswith: return "str.startswith";
    case ColumnOp::str_endswith: return "str.endswith";
    case ColumnOp::str_lower: return "str.lower";
    case ColumnOp::str_upper: return "str.upper";
    case ColumnOp::str_strip: return "str.strip";
    case ColumnOp::str_len: return "str.len";
    case ColumnOp::dt_year: return "dt.year";
    case ColumnOp::dt_month: return "dt.month";
    case ColumnOp::dt_day: return "dt.day";
    case ColumnOp::dt_hour: return "dt.hour";
    case ColumnOp::dt_dayofweek: return "dt.dayofweek";
    default: return "?";
  }
}

bool numeric(ColumnType t) { return t == ColumnType::int64 || t == ColumnType::float64 || t == ColumnType::bool_; }
bool textual(ColumnType t) { return t == ColumnType::string || t == ColumnType::categorical; }

ColumnType literal_type(const Literal& v) {
  switch (v.value().index()) {
    case 0: return ColumnType::int64;
    case 1: return ColumnType::float64;
    case 2: return ColumnType::bool_;
    default: return ColumnType::string;
  }
}

[[noreturn]] void type_error(ColumnOp op, ColumnType a, std::optional<ColumnType> b = std::nullopt) {
  std::string msg = std::string("cannot apply ").append(op_name(op)).append(" to ").append(type_name(a));
  if (b) msg.append(" and ").append(type_name(*b));
  throw InputError(msg);
}

std::uint64_t token_of(ColumnOp op, std::initializer_list<std::uint64_t> parts, std::string_view text = {}) {
  TokenHasher h;
  h.add(static_cast<int>(op));
  for (std::uint64_t p : parts) h.mix(p);
  h.add(text);
  return h.value();
}

// ---- evaluation helpers ----

// A column's value as a double / int64 / string at row r (its type known numeric or text).
struct Reader {
  const Column* c = nullptr;
  std::optional<Literal> literal;
  std::int64_t rows = 0;
  bool valid(std::int64_t r) const {
    return !c || !c->is_na(r);
  }
  double d(std::int64_t r) const {
    if (!c) {
      const auto& v = literal->value();
      if (v.index() == 0) return static_cast<double>(std::get<0>(v));
      if (v.index() == 1) return std::get<1>(v);
      return std::get<2>(v) ? 1.0 : 0.0;
    }
    return c->as_double(r);
  }
  std::int64_t i(std::int64_t r) const {
    if (!c) {
      const auto& v = literal->value();
      if (v.index() == 0) return std::get<0>(v);
      if (v.index() == 2) return std::get<2>(v) ? 1 : 0;
      return static_cast<std::int64_t>(std::get<1>(v));
    }
    const auto k = static_cast<std::size_t>(r);
    if (c->type() == ColumnType::bool_) return c->bools()[k];
    return c->int64s()[k];
  }
  std::string_view s(std::int64_t r) const {
    if (!c) return std::get<3>(literal->value());
    return c->string(r);
  }
};

// Evaluates an operand: a literal stays a literal (no column of repeats).
struct Operand {
  Column column;
  Reader reader;
};

Operand operand(const ColumnExpr& e, const Table& t) {
  Operand o;
  if (e.op == ColumnOp::literal) {
    o.reader.literal = e.literal;
  } else {
    o.column = evaluate(e, t);
  }
  o.reader.rows = t.num_rows();
  return o;
}

template <class F>
Column build(ColumnType type, std::int64_t rows, F f) {
  ColumnBuilder b(type);
  b.reserve(rows);
  for (std::int64_t r = 0; r < rows; ++r) f(b, r);
  return b.finish();
}

// Civil date parts of a timestamp in ns.
void civil(std::int64_t ns, std::int64_t& y, unsigned& m, unsigned& d, std::int64_t& hour, std::int64_t& days) {
  std::int64_t rest;
  calendar::split_day(ns, days, rest);
  hour = rest / 3600000000000LL;
  calendar::civil_from_days(days, y, m, d);
}

}  // namespace

std::uint64_t literal_token(const Literal& v) {
  TokenHasher h;
  h.add(static_cast<int>(v.value().index()));
  std::visit([&](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::string>) h.add(std::string_view(x));
    else h.add(x);
  }, v.value());
  return h.value();
}

ColumnPtr column_ref(const Schema& schema, const std::string& name) {
  const int i = schema.require(name, "selecting a column");
  auto e = std::make_shared<ColumnExpr>();
  e->op = ColumnOp::column;
  e->type = schema.types[static_cast<std::size_t>(i)];
  e->column = name;
  e->token = schema.origin[static_cast<std::size_t>(i)];  // what made the column: usable_on() checks it
  return e;
}

ColumnPtr literal_expr(const Literal& value) {
  auto e = std::make_shared<ColumnExpr>();
  e->op = ColumnOp::literal;
  e->type = literal_type(value);
  e->literal = value;
  e->token = literal_token(value);
  return e;
}

ColumnPtr binary_expr(ColumnOp op, ColumnPtr a, ColumnPtr b) {
  const ColumnType ta = a->type, tb = b->type;
  ColumnType out = ColumnType::bool_;
  switch (op) {
    case ColumnOp::add: case ColumnOp::subtract: case ColumnOp::multiply:
      if (op == ColumnOp::add && textual(ta) && textual(tb)) {
        out = ColumnType::string;
        break;
      }
      if (op == ColumnOp::subtract && ta == ColumnType::timestamp && tb == ColumnType::timestamp) {
        out = ColumnType::int64;  // nanoseconds between
        break;
      }
      if (!numeric(ta) || !numeric(tb)) type_error(op, ta, tb);
      out = (ta == ColumnType::float64 || tb == ColumnType::float64) ? ColumnType::float64 : ColumnType::int64;
      break;
    case ColumnOp::divide:
      if (!numeric(ta) || !numeric(tb)) type_error(op, ta, tb);
      out = ColumnType::float64;
      break;
    case ColumnOp::equal: case ColumnOp::not_equal: case ColumnOp::less: case ColumnOp::less_equal:
    case ColumnOp::greater: case ColumnOp::greater_equal: {
      const bool ok = (numeric(ta) && numeric(tb)) || (textual(ta) && textual(tb)) ||
                      (ta == ColumnType::timestamp && tb == ColumnType::timestamp) ||
                      (ta == ColumnType::timestamp && tb == ColumnType::int64) ||
                      (ta == ColumnType::int64 && tb == ColumnType::timestamp);
      if (!ok) type_error(op, ta, tb);
      out = ColumnType::bool_;
      break;
    }
    case ColumnOp::logical_and: case ColumnOp::logical_or:
      if (ta != ColumnType::bool_ || tb != ColumnType::bool_) type_error(op, ta, tb);
      out = ColumnType::bool_;
      break;
    default: type_error(op, ta, tb);
  }
  auto e = std::make_shared<ColumnExpr>();
  e->op = op;
  e->type = out;
  e->token = token_of(op, {a->token, b->token});
  e->a = std::move(a);
  e->b = std::move(b);
  return e;
}

ColumnPtr unary_expr(ColumnOp op, ColumnPtr a, std::string text, std::optional<Literal> literal, ColumnType cast_to) {
  const ColumnType ta = a->type;
  ColumnType out = ta;
  switch (op) {
    case ColumnOp::logical_not:
      if (ta != ColumnType::bool_) type_error(op, ta);
      break;
    case ColumnOp::negate: case ColumnOp::abs:
      if (ta != ColumnType::int64 && ta != ColumnType::float64) type_error(op, ta);
      break;
    case ColumnOp::isna: case ColumnOp::notna: out = ColumnType::bool_; break;
    case ColumnOp::fillna: {
      const ColumnType lt = literal_type(*literal);
      const bool ok = (numeric(ta) && numeric(lt) && ta != ColumnType::bool_) || (textual(ta) && lt == ColumnType::string) ||
                      (ta == ColumnType::bool_ && lt == ColumnType::bool_);
      if (!ok) type_error(op, ta, lt);
      if (ta == ColumnType::int64 && lt == ColumnType::float64) out = ColumnType::float64;
      if (ta == ColumnType::categorical) out = ColumnType::string;
      break;
    }
    case ColumnOp::cast: {
      out = cast_to;
      const bool ok = ta == out || (numeric(ta) && numeric(out)) || out == ColumnType::string ||
                      (textual(ta) && out == ColumnType::categorical) ||
                      (ta == ColumnType::timestamp && out == ColumnType::int64) ||
                      (ta == ColumnType::int64 && out == ColumnType::timestamp);
      if (!ok) type_error(op, ta, out);
      break;
    }
    case ColumnOp::str_contains: case ColumnOp::str_startswith: case ColumnOp::str_endswith:
      if (!textual(ta)) type_error(op, ta);
      out = ColumnType::bool_;
      break;
    case ColumnOp::str_lower: case ColumnOp::str_upper: case ColumnOp::str_strip:
      if (!textual(ta)) type_error(op, ta);
      out = ColumnType::string;
      break;
    case ColumnOp::str_len:
      if (!textual(ta)) type_error(op, ta);
      out = ColumnType::int64;
      break;
    case ColumnOp::dt_year: case ColumnOp::dt_month: case ColumnOp::dt_day: case ColumnOp::dt_hour:
    case ColumnOp::dt_dayofweek:
      if (ta != ColumnType::timestamp) type_error(op, ta);
      out = ColumnType::int64;
      break;
    default: type_error(op, ta);
  }
  auto e = std::make_shared<ColumnExpr>();
  e->op = op;
  e->type = out;
  e->token = token_of(op, {a->token, literal ? literal_token(*literal) : 0, static_cast<std::uint64_t>(cast_to)}, text);
  e->a = std::move(a);
  e->text = std::move(text);
  e->literal = std::move(literal);
  return e;
}

namespace {

Column evaluate_binary(const ColumnExpr& e, const Table& t) {
  const Operand oa = operand(*e.a, t), ob = operand(*e.b, t);
  Reader a = oa.reader, b = ob.reader;
  if (e.a->op != ColumnOp::literal) a.c = &oa.column;
  if (e.b->op != ColumnOp::literal) b.c = &ob.column;
  const std::int64_t rows = t.num_rows();
  const ColumnType ta = e.a->type, tb = e.b->type;
  switch (e.op) {
    case ColumnOp::add: case ColumnOp::subtract: case ColumnOp::multiply: case ColumnOp::divide: {
      if (e.type == ColumnType::string) {
        return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
          if (!a.valid(r) || !b.valid(r)) return out.append_null();
          std::string s(a.s(r));
          s.append(b.s(r));
          out.append(std::string_view(s));
        });
      }
      if (e.type == ColumnType::int64) {
        return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
          if (!a.valid(r) || !b.valid(r)) return out.append_null();
          const std::int64_t x = a.i(r), y = b.i(r);
          out.append(e.op == ColumnOp::add ? x + y : e.op == ColumnOp::subtract ? x - y : x * y);
        });
      }
      // float64 with a plain loop when neither side has nulls.
      const bool a_col = a.c != nullptr, b_col = b.c != nullptr;
      if ((!a_col || (!a.c->has_nulls() && ta == ColumnType::float64)) &&
          (!b_col || (!b.c->has_nulls() && tb == ColumnType::float64))) {
        const double la = a_col ? 0 : a.d(0), lb = b_col ? 0 : b.d(0);
        const double* pa = a_col ? a.c->float64s().data() : nullptr;
        const double* pb = b_col ? b.c->float64s().data() : nullptr;
        ColumnBuilder out(ColumnType::float64);
        out.reserve(rows);
        for (std::int64_t r = 0; r < rows; ++r) {
          const double x = pa ? pa[r] : la, y = pb ? pb[r] : lb;
          out.append(e.op == ColumnOp::add        ? x + y
                     : e.op == ColumnOp::subtract ? x - y
                     : e.op == ColumnOp::multiply ? x * y
                                                  : x / y);
        }
        return out.finish();
      }
      return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r) || !b.valid(r)) return out.append_null();
        const double x = a.d(r), y = b.d(r);
        out.append(e.op == ColumnOp::add        ? x + y
                   : e.op == ColumnOp::subtract ? x - y
                   : e.op == ColumnOp::multiply ? x * y
                                                : x / y);
      });
    }
    case ColumnOp::equal: case ColumnOp::not_equal: case ColumnOp::less: case ColumnOp::less_equal:
    case ColumnOp::greater: case ColumnOp::greater_equal: {
      auto decide = [&](int cmp) {
        switch (e.op) {
          case ColumnOp::equal: return cmp == 0;
          case ColumnOp::not_equal: return cmp != 0;
          case ColumnOp::less: return cmp < 0;
          case ColumnOp::less_equal: return cmp <= 0;
          case ColumnOp::greater: return cmp > 0;
          default: return cmp >= 0;
        }
      };
      const bool text = textual(ta);
      const bool ints = !text && ta != ColumnType::float64 && tb != ColumnType::float64;
      return build(ColumnType::bool_, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r) || !b.valid(r)) return out.append(e.op == ColumnOp::not_equal);
        int cmp;
        if (text) {
          const int c = a.s(r).compare(b.s(r));
          cmp = c < 0 ? -1 : c > 0;
        } else if (ints) {
          const std::int64_t x = a.i(r), y = b.i(r);
          cmp = x < y ? -1 : x > y;
        } else {
          const double x = a.d(r), y = b.d(r);
          cmp = x < y ? -1 : x > y;
        }
        out.append(decide(cmp));
      });
    }
    case ColumnOp::logical_and: case ColumnOp::logical_or:
      return build(ColumnType::bool_, rows, [&](ColumnBuilder& out, std::int64_t r) {
        const bool x = a.valid(r) && a.i(r) != 0, y = b.valid(r) && b.i(r) != 0;
        out.append(e.op == ColumnOp::logical_and ? (x && y) : (x || y));
      });
    default: type_error(e.op, ta, tb);
  }
}

std::string transform_text(std::string_view s, ColumnOp op) {
  std::string out(s);
  if (op == ColumnOp::str_lower) {
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  } else if (op == ColumnOp::str_upper) {
    for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  } else {
    const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
    const auto b = std::find_if_not(out.begin(), out.end(), space);
    const auto e = std::find_if_not(out.rbegin(), out.rend(), space).base();
    out = b < e ? std::string(b, e) : std::string();
  }
  return out;
}

// Characters of UTF-8 text (pandas counts code points).
std::int64_t code_points(std::string_view s) {
  std::int64_t n = 0;
  for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

Column evaluate_unary(const ColumnExpr& e, const Table& t) {
  const Column in = evaluate(*e.a, t);
  const std::int64_t rows = t.num_rows();
  Reader a;
  a.c = &in;
  a.rows = rows;
  switch (e.op) {
    case ColumnOp::logical_not:
      return build(ColumnType::bool_, rows, [&](ColumnBuilder& out, std::int64_t r) {
        out.append(!(a.valid(r) && a.i(r) != 0));
      });
    case ColumnOp::negate: case ColumnOp::abs:
      return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append_null();
        if (e.type == ColumnType::int64) {
          const std::int64_t v = a.i(r);
          out.append(e.op == ColumnOp::negate ? -v : (v < 0 ? -v : v));
        } else {
          const double v = a.d(r);
          out.append(e.op == ColumnOp::negate ? -v : std::fabs(v));
        }
      });
    case ColumnOp::isna: case ColumnOp::notna:
      return build(ColumnType::bool_, rows, [&](ColumnBuilder& out, std::int64_t r) {
        out.append(a.valid(r) == (e.op == ColumnOp::notna));
      });
    case ColumnOp::fillna: {
      Reader lit;
      lit.literal = e.literal;
      return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
        const Reader& from = a.valid(r) ? a : lit;
        switch (e.type) {
          case ColumnType::int64: return out.append(from.i(r));
          case ColumnType::float64: return out.append(from.d(r));
          case ColumnType::bool_: return out.append(from.i(r) != 0);
          default: return out.append(from.s(r));
        }
      });
    }
    case ColumnOp::cast: {
      if (e.type == in.type()) return in;
      return build(e.type, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append_null();
        switch (e.type) {
          case ColumnType::int64: case ColumnType::timestamp:
            return out.append(in.type() == ColumnType::float64 ? static_cast<std::int64_t>(a.d(r)) : a.i(r));
          case ColumnType::float64: return out.append(a.d(r));
          case ColumnType::bool_: return out.append(a.d(r) != 0);
          case ColumnType::string: case ColumnType::categorical:
            if (textual(in.type())) return out.append(in.string(r));
            return out.append(std::string_view(in.format(r)));
        }
      });
    }
    case ColumnOp::str_contains: case ColumnOp::str_startswith: case ColumnOp::str_endswith:
      return build(ColumnType::bool_, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append(false);
        const std::string_view s = in.string(r);
        out.append(e.op == ColumnOp::str_contains     ? s.find(e.text) != std::string_view::npos
                   : e.op == ColumnOp::str_startswith ? s.starts_with(e.text)
                                                      : s.ends_with(e.text));
      });
    case ColumnOp::str_lower: case ColumnOp::str_upper: case ColumnOp::str_strip:
      return build(ColumnType::string, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append_null();
        out.append(std::string_view(transform_text(in.string(r), e.op)));
      });
    case ColumnOp::str_len:
      return build(ColumnType::int64, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append_null();
        out.append(code_points(in.string(r)));
      });
    case ColumnOp::dt_year: case ColumnOp::dt_month: case ColumnOp::dt_day: case ColumnOp::dt_hour:
    case ColumnOp::dt_dayofweek:
      return build(ColumnType::int64, rows, [&](ColumnBuilder& out, std::int64_t r) {
        if (!a.valid(r)) return out.append_null();
        std::int64_t y, hour, days;
        unsigned m, d;
        civil(in.int64s()[static_cast<std::size_t>(r)], y, m, d, hour, days);
        switch (e.op) {
          case ColumnOp::dt_year: return out.append(y);
          case ColumnOp::dt_month: return out.append(static_cast<std::int64_t>(m));
          case ColumnOp::dt_day: return out.append(static_cast<std::int64_t>(d));
          case ColumnOp::dt_hour: return out.append(hour);
          default: return out.append(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday (3)
        }
      });
    default: type_error(e.op, e.a->type);
  }
}

}  // namespace

Column evaluate(const ColumnExpr& e, const Table& t) {
  switch (e.op) {
    case ColumnOp::column: return t.column(e.column);
    case ColumnOp::literal: {
      Reader lit;
      lit.literal = e.literal;
      return build(e.type, t.num_rows(), [&](ColumnBuilder& out, std::int64_t r) {
        switch (e.type) {
          case ColumnType::int64: return out.append(lit.i(r));
          case ColumnType::float64: return out.append(lit.d(r));
          case ColumnType::bool_: return out.append(lit.i(r) != 0);
          default: return out.append(lit.s(r));
        }
      });
    }
    case ColumnOp::add: case ColumnOp::subtract: case ColumnOp::multiply: case ColumnOp::divide:
    case ColumnOp::equal: case ColumnOp::not_equal: case ColumnOp::less: case ColumnOp::less_equal:
    case ColumnOp::greater: case ColumnOp::greater_equal: case ColumnOp::logical_and: case ColumnOp::logical_or:
      return evaluate_binary(e, t);
    default: return evaluate_unary(e, t);
  }
}

}  // namespace tessera::dataframe::detail
