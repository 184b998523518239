#include "json_topk.hpp"

#include <tessera/error.hpp>
#include <tessera/io/text.hpp>

#include <cstdio>
#include <filesystem>
#include <random>

namespace tessera::examples {

std::vector<std::string> write_demo_json(const std::string& dir, int files, std::int64_t records, std::uint64_t seed) {
  namespace db = tessera::bag;
  std::filesystem::create_directories(dir);
  static const char* const names[] = {"Alice", "Bob", "Charlie", "Dana", "Émile", "Zoë", "日本", "O\"Neil", "Back\\slash", "Eve"};
  static const char* const jobs[] = {"chef", "pilot", "nurse", "teacher"};
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(files * records));
  for (int f = 0; f < files; ++f) {
    std::mt19937_64 gen(seed * 1000003 + static_cast<std::uint64_t>(f));
    // Skewed: low names more often, so the top ten is well defined.
    std::geometric_distribution<int> who(0.25);
    std::uniform_int_distribution<int> age(18, 90), job(0, 3);
    for (std::int64_t r = 0; r < records; ++r) {
      std::vector<Json::Member> fields{{"name", Json(names[who(gen) % 10])}, {"occupation", Json(jobs[job(gen)])}};
      if (r % 17 != 0) fields.emplace_back("age", Json(age(gen)));
      lines.push_back(Json::object(std::move(fields)).dump());
    }
  }
  // One partition per file, written here (the sync scheduler: no other rank takes part).
  return db::to_textfiles(db::from_sequence(std::move(lines), files), (std::filesystem::path(dir) / "2015-01-*.json.gz").string(),
                          {.scheduler = SchedulerKind::sync});
}

std::vector<std::pair<Json, std::int64_t>> top_names(const std::string& pattern, std::int64_t k, const ComputeOptions& options) {
  namespace db = tessera::bag;
  return db::read_json(pattern).pluck("name").frequencies().topk(k, [](const auto& p) { return p.second; }).compute(options);
}

}  // namespace tessera::examples
