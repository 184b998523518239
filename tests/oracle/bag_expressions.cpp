// The Bag's side of tests/oracle/bag_oracle.py: reads the JSON-lines files
// the script wrote, computes each expression and writes its result as
// OUTDIR/NAME.txt on rank 0 (one item per line), for the script to compare
// with Python's json, gzip and collections.
//
//     mpiexec -n 2 bag_expressions 'DIR/*.json*' OUTDIR BLOCKSIZE
//     bag_expressions --bad FILE        (prints the error of reading FILE)
#include <tessera/io/text.hpp>
#include <tessera/runtime.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace db = tessera::bag;
using tessera::Json;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc == 3 && std::string(argv[1]) == "--bad") {
    try {
      db::read_json(argv[2]).count().compute();
      std::printf("no error\n");
    } catch (const tessera::Error& e) {
      if (runtime.rank() == 0) std::printf("%s\n", e.what());
    }
    return 0;
  }
  if (argc != 4) {
    std::fprintf(stderr, "usage: bag_expressions GLOB OUTDIR BLOCKSIZE | --bad FILE\n");
    return 2;
  }
  const std::string glob = argv[1], outdir = argv[2];
  const db::JsonOptions options{.blocksize = std::stoll(argv[3])};
  const auto records = db::read_json(glob, options);
  auto put = [&](const std::string& name, const std::vector<std::string>& lines) {
    if (runtime.rank() != 0) return;
    std::ofstream out(outdir + "/" + name + ".txt", std::ios::binary);
    for (const auto& l : lines) out << l << '\n';
  };
  auto text = [](const Json& j) { return j.to_text(); };
  using Count = std::pair<Json, std::int64_t>;
  auto by_count = [](const Count& p) { return p.second; };
  auto counts_text = [&](const std::vector<Count>& counts) {
    std::vector<std::string> out;
    for (const auto& [v, n] : counts) out.push_back(v.dump() + "\t" + std::to_string(n));
    return out;
  };

  put("count", {std::to_string(records.count().compute())});
  put("names_top", counts_text(records.pluck("name").frequencies().topk(5, by_count).compute()));
  put("names_slow", counts_text(records.map([](const Json& r) { return r["name"]; }).frequencies().compute()));
  put("age_counts", counts_text(records.pluck("age", Json(-1)).frequencies().compute()));
  const auto ages = records.pluck("age", Json(-1)).map([](const Json& j) { return j.as_int64(); });
  put("ages", {std::to_string(ages.sum().compute()), std::to_string(ages.max().compute()),
               std::to_string(ages.min().compute())});
  char mean[64];
  std::snprintf(mean, sizeof mean, "%.17g", ages.mean().compute());
  put("age_mean", {mean});
  put("occupations", records.pluck("occupation", Json("none")).map(text).distinct().compute());
  const auto groups = records.groupby([](const Json& r) { return r.contains("occupation") ? r["occupation"] : Json("none"); }, 3)
                          .map([](const std::pair<Json, std::vector<Json>>& g) {
                            return g.first.to_text() + "\t" + std::to_string(g.second.size());
                          });
  put("groupby", groups.compute());
  const auto folded = records.foldby([](const Json& r) { return r.contains("occupation") ? r["occupation"] : Json("none"); },
                                     [](std::int64_t acc, const Json& r) { return acc + (r.contains("age") ? r["age"].as_int64() : 0); },
                                     std::int64_t{0}, [](std::int64_t a, std::int64_t b) { return a + b; });
  std::vector<std::string> fold_lines;
  for (const auto& [k, v] : folded.compute()) fold_lines.push_back(k.to_text() + "\t" + std::to_string(v));
  put("foldby", fold_lines);
  put("cities", records.map([](const Json& r) {
                        const Json* a = r.find("address");
                        return a && a->is_object() && a->contains("city") ? (*a)["city"].to_text() : std::string("-");
                      })
                    .frequencies()
                    .map([](const std::pair<std::string, std::int64_t>& p) { return p.first + "\t" + std::to_string(p.second); })
                    .compute());
  put("tags", records.pluck("tags", Json::array({})).map([](const Json& j) {
                        std::vector<std::string> out;
                        for (const Json& t : j.items()) out.push_back(t.to_text());
                        return out;
                      })
                  .flatten()
                  .frequencies()
                  .map([](const std::pair<std::string, std::int64_t>& p) { return p.first + "\t" + std::to_string(p.second); })
                  .compute());
  put("lines", {std::to_string(db::read_text(glob, {.blocksize = options.blocksize}).count().compute())});
  // Written back (gzip) and read again.
  const auto written = db::to_textfiles(records.filter([](const Json& r) { return r.contains("age"); }), outdir + "/back/*.json.gz");
  put("written", {std::to_string(written.size()), std::to_string(db::read_json(outdir + "/back/*.json.gz").count().compute())});
  const auto df = db::to_dataframe(records.filter([](const Json& r) { return r.contains("age"); }),
                                   {{"name", tessera::ColumnType::string}, {"age", tessera::ColumnType::int64}});
  put("dataframe", {std::to_string(static_cast<std::int64_t>(df["age"].sum().compute())), std::to_string(df.size())});
  if (runtime.rank() == 0) std::cout << "wrote results to " << outdir << "\n";
  return 0;
}
