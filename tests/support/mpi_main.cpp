// The main of every MPI test: one Runtime for the whole run, and the same
// exit code on every rank (the worst one), so CTest sees one verdict.
#include <tessera/runtime.hpp>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tessera::Runtime runtime(argc, argv);
  if (runtime.rank() != 0) GTEST_FLAG_SET(brief, true);  // other ranks print failures only
  const int failed_here = RUN_ALL_TESTS();
  return static_cast<int>(runtime.max_over_ranks(failed_here));
}
