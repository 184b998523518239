// tessera json-topk: the seed's Bag example for people who do not write C++.
// Reads the JSON-lines files a glob matches (expanded by Tessera, sorted;
// .gz and .zst by extension), plucks one field of every record and prints
// the k most frequent values on rank 0 as VALUE<TAB>COUNT lines, count
// descending, ties by value ascending, a string value as its own text.
#include "commands.hpp"

#include <tessera/io/text.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>

namespace tessera::launcher {

Action add_json_topk(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string glob, field, fallback;
    std::int64_t k = 10;
    bool skip_bad_lines = false;
    std::int64_t blocksize = 64 << 20;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("json-topk", "the most frequent values of one field of JSON-lines files, in parallel");
  cmd->add_option("glob", options->glob, "the files, e.g. 'data/2015-*.json.gz' (quoted: Tessera expands it)")->required();
  cmd->add_option("--pluck", options->field, "the field of each record to count")->required();
  cmd->add_option("-k", options->k, "how many values to print (default 10)")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  cmd->add_flag("--skip-bad-lines", options->skip_bad_lines, "skip lines that are not JSON (counted on stderr at the end)");
  cmd->add_option("--default", options->fallback, "the value of records without the field (JSON, or else a string)");
  cmd->add_option("--blocksize", options->blocksize, "bytes per partition within a plain file (default 64 MiB)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  return [options, cmd, &global] {
    namespace db = tessera::bag;
    std::atomic<std::int64_t> skipped{0};
    db::JsonOptions json{.blocksize = options->blocksize, .skip_bad_lines = options->skip_bad_lines, .skipped = &skipped};
    const auto records = db::read_json(options->glob, json);
    std::optional<Json> fallback;
    if (cmd->count("--default") > 0) {
      try {
        fallback = Json::parse(options->fallback);
      } catch (const InputError&) {
        fallback = Json(options->fallback);  // not JSON: the text itself
      }
    }
    const auto values = fallback ? records.pluck(options->field, *fallback) : records.pluck(options->field);
    // Counted as JSON values in the read tasks; values with the same text
    // (the string "1" and the number 1) are one line of output.
    const auto by_value = values.frequencies().compute();
    const std::int64_t skipped_total = global.runtime->sum_over_ranks(skipped.load());
    if (global.runtime->rank() != 0) return 0;
    std::unordered_map<std::string, std::int64_t> by_text;
    for (const auto& [value, n] : by_value) by_text[value.to_text()] += n;
    std::vector<std::pair<std::string, std::int64_t>> counts(by_text.begin(), by_text.end());
    std::sort(counts.begin(), counts.end(),
              [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    if (static_cast<std::int64_t>(counts.size()) > options->k) counts.resize(static_cast<std::size_t>(options->k));
    std::string out;
    for (const auto& [value, n] : counts) out.append(value).append("\t").append(std::to_string(n)).append("\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (options->skip_bad_lines) std::fprintf(stderr, "json-topk: skipped %lld bad lines\n", static_cast<long long>(skipped_total));
    return 0;
  };
}

}  // namespace tessera::launcher
