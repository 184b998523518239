#include "delayed_files.hpp"

#include <tessera/futures.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace tessera::examples {

double Stats::std() const {
  if (count == 0) return 0.0;
  const double m = mean();
  return std::sqrt(std::max(0.0, sum_squares / static_cast<double>(count) - m * m));
}

std::vector<std::string> demo_file_paths(const std::string& dir, int files) {
  std::vector<std::string> paths;
  for (int f = 0; f < files; ++f) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%03d.txt", f);
    paths.push_back((std::filesystem::path(dir) / name).string());
  }
  return paths;
}

std::vector<std::string> write_demo_files(const std::string& dir, int files, int rows, std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> paths = demo_file_paths(dir, files);
  for (int f = 0; f < files; ++f) {
    const std::string& path = paths[static_cast<std::size_t>(f)];
    // The raw engine output is specified by the standard; distributions are not. Map it by hand
    // so that every platform and every rank writes the same numbers.
    std::mt19937_64 engine(seed + static_cast<std::uint64_t>(f));
    std::ofstream out(path);
    if (!out) throw_error(ErrorKind::input, "cannot create demo file " + path);  // before writing every row into nothing
    char line[64];
    for (int r = 0; r < rows; ++r) {
      double u = static_cast<double>(engine() >> 11) * 0x1.0p-53;  // [0, 1)
      double value = 100.0 * u - 20.0 + f;
      int n = std::snprintf(line, sizeof line, "%.6f\n", value);
      out.write(line, n);
    }
    if (!out) throw_error(ErrorKind::input, "cannot write demo file " + path);
  }
  return paths;
}

namespace {

std::vector<double> load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_error(ErrorKind::input, "cannot open " + path);
  std::vector<double> values;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty()) continue;
    char* end = nullptr;
    double v = std::strtod(line.c_str(), &end);
    if (end == line.c_str() || *end != '\0') {
      throw_error(ErrorKind::input, path + " line " + std::to_string(line_no) + ": \"" + line + "\" is not a number");
    }
    values.push_back(v);
  }
  return values;
}

Stats process(const std::vector<double>& values) {
  Stats s;
  if (values.empty()) return s;
  s.min = s.max = values.front();
  for (double v : values) {
    s.sum += v;
    s.sum_squares += v * v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.count = values.size();
  return s;
}

Stats summarize(const std::vector<Stats>& parts) {
  Stats total;
  bool first = true;
  for (const Stats& p : parts) {
    if (p.count == 0) continue;
    total.min = first ? p.min : std::min(total.min, p.min);
    total.max = first ? p.max : std::max(total.max, p.max);
    first = false;
    total.count += p.count;
    total.sum += p.sum;
    total.sum_squares += p.sum_squares;
  }
  return total;
}

}  // namespace

tessera::Delayed<Stats> summarize_files(const std::vector<std::string>& paths) {
  std::vector<tessera::Delayed<Stats>> parts;
  for (const auto& path : paths) {
    auto data = tessera::delayed(load, "load")(path);
    parts.push_back(tessera::delayed(process, "process")(data));
  }
  return tessera::delayed(summarize, "summarize")(parts);
}

Stats summarize_files_with_futures(const std::vector<std::string>& paths) {
  // futures = [client.submit(load, fn) for fn in filenames]
  // summary = client.submit(summarize, futures)
  std::vector<tessera::Future<Stats>> futures;
  for (const auto& path : paths) {
    futures.push_back(tessera::submit([](const std::string& p) { return process(load(p)); }, path));
  }
  return tessera::submit(summarize, futures).result();
}

}  // namespace tessera::examples
