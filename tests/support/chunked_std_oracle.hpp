#pragma once
// The oracle for examples::chunked_std: the same two passes as plain loops
// over regenerated chunks, in the same order, so the results agree exactly.
#include "chunked_std.hpp"  // jobs/examples

#include <cmath>

namespace tessera::test {

using examples::chunked_std;

inline double chunked_std_oracle(std::size_t chunks, std::size_t chunk_bytes) {
  double total = 0;
  for (std::size_t i = 0; i < chunks; ++i) total += examples::chunk_sum(examples::seeded_chunk(i, chunk_bytes));
  const double count = static_cast<double>(chunks * (chunk_bytes / sizeof(double)));
  const double mean = total / count;
  double squares = 0;
  for (std::size_t i = 0; i < chunks; ++i) {
    squares += examples::chunk_squares(examples::seeded_chunk(i, chunk_bytes), mean);
  }
  return std::sqrt(squares / count);
}

}  // namespace tessera::test
