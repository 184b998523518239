// describe(): count, mean, std, min, quartiles and max of every numeric
// column, as pandas, in one tree reduction of small states. The quartiles
// come from a weighted sample of each column's sorted values (each partition
// keeps every value up to `exact_points`, else that many evenly spaced ones
// standing for the rest; merges keep at most `kept_points`): exact, with
// pandas' linear interpolation, while a column has no more values than
// that, and within about 1 / kept_points of the quantile's rank beyond, in
// memory bounded by it whatever the frame's size.
#include "collections/dataframe/frame_expr.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tessera::dataframe::detail {
namespace {

constexpr std::size_t exact_points = 32768;  // a partition's values kept as they are, up to this many
constexpr std::size_t kept_points = 16384;   // a merged sample's size once it grows past twice this

struct ColumnSummary {
  double n = 0, mean = 0, m2 = 0;
  double min = std::numeric_limits<double>::quiet_NaN(), max = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> values, weights;  // sorted by value
  bool exact = true;                    // every weight is 1: the values themselves
};

struct DescribeState {
  std::vector<ColumnSummary> columns;
  std::size_t nbytes() const {
    std::size_t n = 0;
    for (const auto& c : columns) n += (c.values.size() + c.weights.size()) * sizeof(double) + sizeof(c);
    return n;
  }
};

}  // namespace
}  // namespace tessera::dataframe::detail

template <>
struct tessera::Transport<tessera::dataframe::detail::DescribeState> {
  static void encode(const tessera::dataframe::detail::DescribeState& s, ByteWriter& out) {
    out.put(static_cast<std::uint64_t>(s.columns.size()));
    for (const auto& c : s.columns) {
      out.put(c.n), out.put(c.mean), out.put(c.m2), out.put(c.min), out.put(c.max);
      out.put(c.values), out.put(c.weights), out.put(static_cast<std::uint8_t>(c.exact));
    }
  }
  static tessera::dataframe::detail::DescribeState decode(ByteReader& in) {
    tessera::dataframe::detail::DescribeState s;
    s.columns.resize(static_cast<std::size_t>(in.get<std::uint64_t>()));
    for (auto& c : s.columns) {
      in.get(c.n), in.get(c.mean), in.get(c.m2), in.get(c.min), in.get(c.max);
      in.get(c.values), in.get(c.weights);
      c.exact = in.get<std::uint8_t>() != 0;
    }
    return s;
  }
};

namespace tessera::dataframe::detail {
namespace {

// At most `keep` points standing for the same weight: the values where the
// cumulative weight crosses evenly spaced targets.
void compact(ColumnSummary& c, std::size_t keep) {
  if (c.values.size() <= keep) return;
  const double total = std::accumulate(c.weights.begin(), c.weights.end(), 0.0);
  std::vector<double> values, weights;
  values.reserve(keep);
  weights.reserve(keep);
  double seen = 0;
  std::size_t at = 0;
  for (std::size_t k = 0; k < keep; ++k) {
    const double target = (static_cast<double>(k) + 0.5) * total / static_cast<double>(keep);
    while (at + 1 < c.values.size() && seen + c.weights[at] <= target) seen += c.weights[at++];
    values.push_back(c.values[at]);
    weights.push_back(total / static_cast<double>(keep));
  }
  c.values = std::move(values);
  c.weights = std::move(weights);
  c.exact = false;
}

void merge_into(ColumnSummary& a, const ColumnSummary& b) {
  if (b.n == 0) return;
  if (a.n == 0) {
    a = b;
    return;
  }
  const double total = a.n + b.n, delta = b.mean - a.mean;
  a.mean += delta * b.n / total;
  a.m2 += b.m2 + delta * delta * a.n * b.n / total;
  a.n = total;
  a.min = std::min(a.min, b.min);
  a.max = std::max(a.max, b.max);
  std::vector<double> values, weights;  // both sorted already: one merge pass
  values.reserve(a.values.size() + b.values.size());
  weights.reserve(values.capacity());
  std::size_t i = 0, j = 0;
  while (i < a.values.size() || j < b.values.size()) {
    const bool take_a = j == b.values.size() || (i < a.values.size() && a.values[i] <= b.values[j]);
    values.push_back(take_a ? a.values[i] : b.values[j]);
    weights.push_back(take_a ? a.weights[i++] : b.weights[j++]);
  }
  a.values = std::move(values);
  a.weights = std::move(weights);
  a.exact = a.exact && b.exact;
  if (a.values.size() > 2 * kept_points) compact(a, kept_points);
}

// pandas' quantile (linear interpolation between the order statistics at
// q (n - 1)), on the values, or on the weighted sample standing for them.
double quantile(const ColumnSummary& c, double q) {
  if (c.n == 0) return std::numeric_limits<double>::quiet_NaN();
  if (c.exact) {
    const double pos = q * static_cast<double>(c.values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, c.values.size() - 1);
    return c.values[lo] + (c.values[hi] - c.values[lo]) * (pos - static_cast<double>(lo));
  }
  // Each sample point stands at the middle of the ranks it covers.
  const double target = q * (c.n - 1);
  double before = 0;
  double prev_rank = -1, prev_value = c.min;
  for (std::size_t k = 0; k < c.values.size(); ++k) {
    const double rank = before + (c.weights[k] - 1) / 2;
    if (rank >= target) {
      if (prev_rank < 0) return c.values[k];
      const double f = rank > prev_rank ? (target - prev_rank) / (rank - prev_rank) : 0;
      return prev_value + (c.values[k] - prev_value) * f;
    }
    before += c.weights[k];
    prev_rank = rank;
    prev_value = c.values[k];
  }
  return c.max;
}

bool described(ColumnType t) { return t == ColumnType::int64 || t == ColumnType::float64; }

class SummariseStep final : public PartitionStep {
 public:
  explicit SummariseStep(std::vector<int> columns) : columns_(std::move(columns)) {}
  Value finish(std::int64_t, Table t) const override {
    DescribeState st;
    for (int c : columns_) {
      const Column& col = t.column(static_cast<std::size_t>(c));
      ColumnSummary s;
      for (std::int64_t r = 0; r < col.size(); ++r) {
        if (col.is_na(r)) continue;
        s.values.push_back(col.as_double(r));
      }
      std::sort(s.values.begin(), s.values.end());
      s.n = static_cast<double>(s.values.size());
      if (!s.values.empty()) {
        s.min = s.values.front();
        s.max = s.values.back();
        // Welford's mean and M2: exact enough for values far from zero (dask/dask#78).
        double mean = 0, m2 = 0, k = 0;
        for (double v : s.values) {
          k += 1;
          const double d = v - mean;
          mean += d / k;
          m2 += d * (v - mean);
        }
        s.mean = mean;
        s.m2 = m2;
      }
      s.weights.assign(s.values.size(), 1.0);
      if (s.values.size() > exact_points) compact(s, exact_points);
      st.columns.push_back(std::move(s));
    }
    return Value::of(std::move(st));
  }

 private:
  std::vector<int> columns_;
};

class MergeSummaries final : public Layer {
 public:
  MergeSummaries(std::vector<std::string> names, bool final) : names_(std::move(names)), final_(final) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    DescribeState st = inputs[0]->get<DescribeState>();
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const auto& other = inputs[i]->get<DescribeState>();
      for (std::size_t c = 0; c < st.columns.size(); ++c) merge_into(st.columns[c], other.columns[c]);
    }
    if (!final_) return Value::of(std::move(st));
    ColumnBuilder stat(ColumnType::string);
    for (const char* s : {"count", "mean", "std", "min", "25%", "50%", "75%", "max"}) stat.append(s);
    std::vector<std::string> names{""};
    std::vector<Column> columns{stat.finish()};
    for (std::size_t c = 0; c < st.columns.size(); ++c) {
      const ColumnSummary& s = st.columns[c];
      const double nan = std::numeric_limits<double>::quiet_NaN();
      ColumnBuilder b(ColumnType::float64);
      b.append(s.n);
      b.append(s.n > 0 ? s.mean : nan);
      b.append(s.n > 1 ? std::sqrt(s.m2 / (s.n - 1)) : nan);
      b.append(s.min);
      for (double q : {0.25, 0.5, 0.75}) b.append(quantile(s, q));
      b.append(s.max);
      names.push_back(names_[c]);
      columns.push_back(b.finish());
    }
    return Value::of(Table(std::move(names), std::move(columns)));
  }

 private:
  std::vector<std::string> names_;
  bool final_;
};

class DescribeNodes final : public NodeSource {
 public:
  DescribeNodes(FramePtr input, std::vector<int> columns, std::vector<std::string> names, std::uint64_t token)
      : input_(std::move(input)), columns_(std::move(columns)), names_(std::move(names)), token_(token) {}
  NodeId build(GraphBuilder& builder) const override {
    const NodeId chunks = builder.add_partition_layer(*input_, KeyName("describe-chunk"), token_,
                                                      std::make_shared<SummariseStep>(columns_));
    return add_merge_tree(builder, chunks, input_->npartitions, "describe", token_,
                          [&](bool final) { return std::make_shared<MergeSummaries>(names_, final); });
  }

 private:
  FramePtr input_;
  std::vector<int> columns_;
  std::vector<std::string> names_;
  std::uint64_t token_;
};

}  // namespace

FramePtr describe_frame(const FramePtr& frame) {
  std::vector<int> columns;
  std::vector<std::string> names;
  TokenHasher h;
  h.mix(frame->token);
  h.add(std::string_view("describe"));
  for (std::size_t c = 0; c < frame->schema.names.size(); ++c) {
    if (!described(frame->schema.types[c])) continue;
    columns.push_back(static_cast<int>(c));
    names.push_back(frame->schema.names[c]);
  }
  if (columns.empty()) throw InputError("describe: the frame has no int64 or float64 column to describe");
  const FramePtr input = project(frame, columns);
  std::vector<int> projected;  // the same columns, in the projected frame
  for (const auto& n : names) projected.push_back(input->schema.require(n, "describe"));
  Schema out;
  out.names.push_back("");
  out.types.push_back(ColumnType::string);
  for (const auto& n : names) {
    out.names.push_back(n);
    out.types.push_back(ColumnType::float64);
  }
  const std::uint64_t token = h.value();
  return from_nodes(std::move(out), 1, "describe", token,
                    std::make_shared<DescribeNodes>(input, std::move(projected), std::move(names), token));
}

}  // namespace tessera::dataframe::detail

namespace tessera::dataframe {
DataFrame DataFrame::describe() const { return DataFrame(detail::describe_frame(expr_)); }
}  // namespace tessera::dataframe
