#pragma once
// A larger-than-memory job: the standard deviation of many seeded chunks in
// two passes, (x - x.mean()).std() as in the W2 workload, built as a graph.
//
//     tessera::configure_memory({.limit = tessera::parse_size("1GiB")});
//     tessera::Graph g = tessera::examples::chunked_std(128, 64 << 20);  // 8 GiB of chunks
//     double s = tessera::compute(g, {tessera::Key("std")})[0].get<double>();
//
// Pass one sums each chunk; the mean needs every sum; pass two sums each
// chunk's squared deviations from the mean. So every chunk is needed twice
// and all of them are alive in between, whatever the schedule: with more
// chunks than memory they spill after the first pass and come back for the
// second.
#include <tessera/buffer.hpp>
#include <tessera/graph.hpp>

#include <cstddef>
#include <cstdint>

namespace tessera::examples {

/// `nbytes / 8` doubles in [0, 1) from splitmix64, seeded by `seed`.
Buffer seeded_chunk(std::uint64_t seed, std::size_t nbytes);
double chunk_sum(const Buffer& chunk);
double chunk_squares(const Buffer& chunk, double mean);

/// Keys ('load', i), ('sum', i), 'mean', ('squares', i) and the output 'std'.
Graph chunked_std(std::size_t chunks, std::size_t chunk_bytes);

}  // namespace tessera::examples
