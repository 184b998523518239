// The DataFrame's side of tests/oracle/dataframe_oracle.py: reads the CSV
// files the script wrote, computes each expression and writes its result as
// OUTDIR/NAME.csv on rank 0, for the script to compare with pandas.
//
//     mpiexec -n 2 dataframe_expressions 'DIR/*.csv' OUTDIR BLOCKSIZE
#include <tessera/dataframe.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/runtime.hpp>

#include "io/csv/csv_reader.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace dd = tessera::dataframe;
using tessera::ColumnBuilder;
using tessera::ColumnType;
using tessera::Table;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc != 4) {
    std::fprintf(stderr, "usage: dataframe_expressions GLOB OUTDIR BLOCKSIZE\n");
    return 2;
  }
  const std::string glob = argv[1], outdir = argv[2];
  dd::CsvOptions options;
  options.blocksize = std::stoll(argv[3]);
  options.parse_dates = {"timestamp"};
  const auto df = dd::read_csv(glob, options);
  auto put = [&](const std::string& name, const Table& t) {
    if (runtime.rank() != 0) return;
    std::ofstream out(outdir + "/" + name + ".csv", std::ios::binary);
    tessera::csv::write_csv(t, out, true);
  };
  auto scalars = [&](const std::string& name, const std::vector<std::pair<std::string, double>>& values) {
    std::vector<std::string> names;
    std::vector<tessera::Column> cols;
    for (const auto& [n, v] : values) {
      ColumnBuilder b(ColumnType::float64);
      b.append(v);
      names.push_back(n);
      cols.push_back(b.finish());
    }
    put(name, Table(names, std::move(cols)));
  };

  put("all", df.compute());
  put("gb_mean", df.groupby("user_id")["value"].mean().compute());
  put("gb_multi", df.groupby({"name", "flag"})
                      .agg({{"value", "sum"}, {"value", "mean"}, {"value", "count"}, {"user_id", "size"},
                            {"value", "min"}, {"value", "max"}, {"value", "std"}, {"value", "var"},
                            {"value", "first"}, {"value", "last"}, {"user_id", "nunique"}, {"name", "max"}})
                      .compute());
  put("filter", df[df["value"] > 0.5 && df["name"].str().startswith("A")].compute());
  put("assign", df.assign("v2", df["value"] * 2 + df["user_id"]).assign("neg", -df["user_id"])[{"v2", "neg"}].compute());
  put("strings", df.assign("lower", df["name"].str().lower())
                     .assign("upper", df["name"].str().upper())
                     .assign("len", df["name"].str().len())
                     .assign("strip", df["name"].str().strip())
                     .assign("has_a", df["name"].str().contains("a"))
                     .assign("ends", df["name"].str().endswith("e"))[{"lower", "upper", "len", "strip", "has_a", "ends"}]
                     .compute());
  put("dates", df.assign("year", df["timestamp"].dt().year())
                   .assign("month", df["timestamp"].dt().month())
                   .assign("day", df["timestamp"].dt().day())
                   .assign("hour", df["timestamp"].dt().hour())
                   .assign("dow", df["timestamp"].dt().dayofweek())[{"year", "month", "day", "hour", "dow"}]
                   .compute());
  put("dropna", df.dropna().compute());
  put("fillna", df.fillna(-1.0)[{"value"}].compute());
  put("head", df.head(7));
  put("isna", df.assign("missing", df["value"].isna())[{"missing"}].compute());
  put("gb_categorical", df.astype({{"name", ColumnType::categorical}}).groupby("name")["value"].sum().compute());
  put("value_counts", df["name"].value_counts().compute());
  put("nlargest", df.nlargest(9, "value").compute());
  put("nsmallest", df.nsmallest(6, "user_id").compute());
  put("dedupe_subset", df.drop_duplicates({"name", "flag"}).compute());
  put("dedupe_all", df[{"user_id", "flag"}].drop_duplicates().compute());
  // Rows between partitions: merges (shuffled and broadcast), sorts, set_index, shuffle, repartition.
  dd::MergeOptions shuffled;
  shuffled.on = {"user_id"};
  shuffled.broadcast = 0;
  put("merge_inner", df[{"user_id", "name", "value"}].merge(df[df["value"] > 0.9][{"user_id", "flag", "timestamp"}], shuffled).compute());
  put("merge_left_broadcast", df[{"user_id", "value", "name"}].merge(df.groupby("user_id")["value"].mean(), "user_id", "left").compute());
  // A unique key on a side of two partitions: broadcast when the other side has more than 2 x ranks partitions.
  put("merge_unique_auto", df[{"user_id", "value", "name"}].merge(df.groupby("user_id")["value"].max().repartition(2), "user_id").compute());
  dd::MergeOptions outer;
  outer.how = "outer";
  outer.on = {"user_id"};
  const auto low = df[df["user_id"] < 20][{"user_id", "value"}].drop_duplicates({"user_id"}, 3);
  const auto high = df[df["user_id"] > 10][{"user_id", "flag", "name"}].drop_duplicates({"user_id"}, 5);
  put("dedupe_split", low.compute());
  put("merge_outer", low.merge(high, outer).compute());
  dd::MergeOptions right;
  right.how = "right";
  right.left_on = {"name", "flag"};
  right.right_on = {"name", "flag"};
  put("merge_right_multi", df[df["value"] > 0.95][{"name", "flag", "value"}]
                               .merge(df.groupby({"name", "flag"})["user_id"].count().repartition(3), right)
                               .compute());
  put("gb_split", df.groupby({"name", "flag"})
                      .split_out(4)
                      .agg({{"value", "sum"}, {"value", "mean"}, {"value", "count"}, {"user_id", "size"},
                            {"value", "std"}, {"value", "first"}, {"value", "last"}, {"user_id", "nunique"}})
                      .compute());
  put("gb_split_mean", df.groupby("user_id").split_out(3)["value"].mean().compute());
  put("describe", df.describe().compute());
  put("sort_multi", df.sort_values({"name", "value"}, {true, false}).compute());
  put("sort_desc", df.sort_values("timestamp", false, 5).compute());
  const auto indexed = df.set_index("value");
  put("set_index", indexed.compute());
  put("shuffle", df.shuffle({"name", "flag"}, 6).compute());
  put("repartition_down", df.repartition(7).compute());
  put("repartition_up", df.repartition(df.npartitions() * 2 + 3).compute());
  {
    std::vector<std::string> names{"npartitions", "division"};
    ColumnBuilder n(ColumnType::int64), d(ColumnType::float64);
    for (const auto& v : indexed.divisions()) {
      n.append(indexed.npartitions());
      d.append(std::get<double>(v.value()));
    }
    put("divisions", Table(names, {n.finish(), d.finish()}));
  }
  scalars("reductions", {{"sum", df["value"].sum().compute()},
                         {"mean", df["value"].mean().compute()},
                         {"count", df["value"].count().compute()},
                         {"min", df["value"].min().compute()},
                         {"max", df["value"].max().compute()},
                         {"std", df["value"].std().compute()},
                         {"var", df["value"].var().compute()},
                         {"nunique", df["user_id"].nunique().compute()},
                         {"len", static_cast<double>(df.size())},
                         {"npartitions", static_cast<double>(df.npartitions())}});
  // to_csv: one file per partition (into a directory it makes), and one
  // file; the script reads both back with pandas.
  const auto filtered = df[df["user_id"] > 10];
  const std::vector<std::string> parts = dd::to_csv(filtered, outdir + "/parts/part-*.csv");
  const std::vector<std::string> one = dd::to_csv(filtered, outdir + "/one.csv");
  if (runtime.rank() == 0) {
    std::printf("to_csv wrote %zu parts and %zu file\n", parts.size(), one.size());
    std::cout << "wrote results to " << outdir << "\n";
  }
  return 0;
}
