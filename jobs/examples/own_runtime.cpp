// A user program that links tessera::tessera and makes its own Runtime:
// the seed's Delayed example over files it writes itself.
//   mpirun -n 2 ./own_runtime [directory]
#include "delayed_files.hpp"

#include <tessera/runtime.hpp>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  const std::string dir = runtime.broadcast(
      argc > 1 ? std::string(argv[1])
               : (std::filesystem::temp_directory_path() / ("tessera-own-runtime-" + std::to_string(::getpid())))
                     .string());
  if (runtime.rank() == 0) tessera::examples::write_demo_files(dir, 4, 1000, 3);
  runtime.barrier();
  auto stats = tessera::compute(tessera::examples::summarize_files(tessera::examples::demo_file_paths(dir, 4)));
  runtime.barrier();
  if (runtime.rank() == 0) {
    std::printf("ranks=%d count=%llu mean=%.9g min=%.6f max=%.6f\n", runtime.size(),
                static_cast<unsigned long long>(stats.count), stats.mean(), stats.min, stats.max);
    if (argc <= 1) std::filesystem::remove_all(dir);
  }
  return 0;
}
