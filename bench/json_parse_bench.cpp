// Throughput of tessera::Json on one core (issue 12): a JSON lines file read
// into memory, then every line through each of
//   parse           Json::parse (a full tree of Json values)
//   pluck           pluck_field(line, KEY) (On-Demand, stops at the key)
//   simdjson_pluck  simdjson On-Demand alone, per line, with the same padded copy: KEY as a string_view
//   simdjson_dom    simdjson's DOM parser alone, per line (its own tree, no Json)
//   simdjson_many   iterate_many over the whole buffer, KEY of each document (STYLE.md §8.8's loop)
// printing records/s and MB/s of the best of the passes.
//
//   json_parse_bench FILE.jsonl [--key name] [--passes 3]
#include <tessera/json.hpp>

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: json_parse_bench FILE.jsonl [--key name] [--passes 3]\n");
    return 2;
  }
  std::string key = "name";
  int passes = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--key") key = argv[i + 1];
    else if (flag == "--passes") passes = std::atoi(argv[i + 1]);
  }
  std::ifstream file(argv[1], std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::string_view> lines;
  for (std::size_t from = 0; from < text.size();) {
    std::size_t end = text.find('\n', from);
    if (end == std::string::npos) end = text.size();
    if (end > from) lines.emplace_back(text.data() + from, end - from);
    from = end + 1;
  }
  std::printf("%s: %zu records, %.1f MB; key \"%s\"; best of %d passes, one thread\n", argv[1], lines.size(),
              static_cast<double>(text.size()) / 1e6, key.c_str(), passes);

  std::size_t checksum = 0;  // keeps every result alive for the optimiser
  const auto run = [&](const char* name, const std::function<void()>& body) {
    double best = 1e300;
    for (int p = 0; p < passes; ++p) {
      const auto start = Clock::now();
      body();
      best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::printf("%-15s %8.3f s  %6.2f M records/s  %7.1f MB/s\n", name, best, static_cast<double>(lines.size()) / best / 1e6,
                static_cast<double>(text.size()) / best / 1e6);
  };

  run("parse", [&] {
    for (auto line : lines) checksum += tessera::Json::parse(line).size();
  });
  run("pluck", [&] {
    for (auto line : lines) {
      if (auto v = tessera::pluck_field(line, key)) checksum += v->as_string().size();  // a string here, as in simdjson_pluck
    }
  });
  run("simdjson_pluck", [&] {
    simdjson::ondemand::parser parser;
    std::string padded;
    for (auto line : lines) {
      if (padded.size() < line.size() + simdjson::SIMDJSON_PADDING) padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(padded.data(), line.data(), line.size());
      simdjson::ondemand::document doc;
      std::string_view v;
      if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc) || doc[key].get_string().get(v)) std::abort();
      checksum += v.size();
    }
  });
  run("simdjson_dom", [&] {
    simdjson::dom::parser parser;
    for (auto line : lines) {
      simdjson::dom::element e;
      if (parser.parse(line.data(), line.size()).get(e)) std::abort();
      checksum += e.is_object();
    }
  });
  run("simdjson_many", [&] {
    simdjson::ondemand::parser parser;
    parser.threaded = false;  // one core, as a Bag task would run it
    simdjson::ondemand::document_stream docs;
    const simdjson::padded_string padded(text);
    if (parser.iterate_many(padded, 1 << 20).get(docs)) std::abort();
    for (auto doc : docs) {
      std::string_view v;
      if (doc[key].get_string().get(v)) std::abort();
      checksum += v.size();
    }
  });
  std::printf("checksum %zu\n", checksum);
}
