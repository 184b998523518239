#pragma once
// The seed's Bag example in C++: the ten most frequent names in a set of
// daily gzip'd JSON-lines files. `tessera demo` writes the files and runs
// this on them.
//
//     import dask.bag as db, json               namespace db = tessera::bag;
//     b = db.read_text('2015-*-*.json.gz')      auto b = db::read_json("2015-*-*.json.gz");
//            .map(json.loads)
//     b.pluck('name').frequencies()             b.pluck("name").frequencies()
//      .topk(10, lambda pair: pair[1])           .topk(10, [](const auto& p) { return p.second; })
//      .compute()                                .compute();
#include <tessera/compute.hpp>
#include <tessera/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tessera::examples {

/// Writes `files` files 2015-01-0.json.gz, 2015-01-1.json.gz, ... of
/// `records` JSON lines each into `dir`: {"name": ..., "age": ...,
/// "occupation": ...} with unicode and escaped names, some records without
/// an age. Returns the paths.
std::vector<std::string> write_demo_json(const std::string& dir, int files, std::int64_t records, std::uint64_t seed);

/// read_json(pattern).pluck("name").frequencies().topk(k, by count).compute().
std::vector<std::pair<Json, std::int64_t>> top_names(const std::string& pattern, std::int64_t k,
                                                     const ComputeOptions& options = {});

}  // namespace tessera::examples
