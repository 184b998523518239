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
