#include "csv_groupby.hpp"

#include <tessera/dataframe.hpp>
#include <tessera/error.hpp>
#include <tessera/io/csv.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace tessera::examples {

std::vector<std::string> write_demo_csv(const std::string& dir, int files, std::int64_t rows, std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  static const char* const names[] = {"Alice", "Bob", "Charlie", "\"Smith, Jr.\"", "Dana", "\"Quote \"\"Q\"\" Ltd\"",
                                      "Émile", "\"two\nlines\""};
  std::vector<std::string> paths;
  for (int f = 0; f < files; ++f) {
    char name[32];
    std::snprintf(name, sizeof name, "2015-01-%02d.csv", f + 1);
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("cannot write " + path);
    std::mt19937_64 gen(seed * 1000003 + static_cast<std::uint64_t>(f));
    std::uniform_int_distribution<int> user(1, 1000), who(0, 7), second(0, 86399);
    std::uniform_real_distribution<double> value(0, 1);
    out << "user_id,name,value,timestamp\n";
    char line[160];
    for (std::int64_t r = 0; r < rows; ++r) {
      const int s = second(gen);
      const double v = value(gen);
      const bool missing = value(gen) < 0.01;
      out << user(gen) << ',' << names[who(gen)] << ',';
      if (!missing) {
        std::snprintf(line, sizeof line, "%.6f", v);
        out << line;
      }
      std::snprintf(line, sizeof line, ",2015-01-%02d %02d:%02d:%02d\n", f + 1, s / 3600, s / 60 % 60, s % 60);
      out << line;
    }
    out.close();
    if (!out) throw InputError("writing " + path + " failed");
    paths.push_back(path);
  }
  return paths;
}

tessera::Table user_means(const std::string& pattern, const ComputeOptions& options) {
  namespace dd = tessera::dataframe;
  const auto df = dd::read_csv(pattern);
  return df.groupby("user_id")["value"].mean().compute(options);
}

}  // namespace tessera::examples
