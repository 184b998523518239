// What a checkpoint costs a persist() (issue 14): the same Array persisted
// without one, into an empty checkpoint directory (every chunk written, and
// synced at the end), and again (every chunk read back).
//
//     mpiexec -n 2 checkpoint_bench DIR [--rows R] [--cols C] [--chunk N]
//
// x = random::uniform((R, C), (N, N)) * 2 + 1, float64. DIR is emptied
// first. One key=value line per mode on rank 0, seconds and GB/s of the
// array's bytes; the read-back run's page cache is dropped first when
// /proc/sys/vm/drop_caches is writable (root), so it reads from the disk.
#include <tessera/array.hpp>
#include <tessera/collection.hpp>
#include <tessera/runtime.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace da = tessera::array;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc < 2) {
    if (runtime.rank() == 0) std::fprintf(stderr, "usage: checkpoint_bench DIR [--rows R] [--cols C] [--chunk N]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::int64_t rows = 16384, cols = 16384, chunk = 2048;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::int64_t value = std::stoll(argv[i + 1]);
    if (flag == "--rows") rows = value;
    else if (flag == "--cols") cols = value;
    else if (flag == "--chunk") chunk = value;
  }
  if (runtime.rank() == 0) std::filesystem::remove_all(dir);
  runtime.barrier();
  auto make = [&] { return da::random::uniform({rows, cols}, {chunk, chunk}, /*seed=*/7) * 2.0 + 1.0; };
  const double gb = double(rows) * double(cols) * 8.0 / 1e9;
  double checksum = 0;
  auto timed = [&](const char* mode, const std::string& checkpoint) {
    runtime.barrier();
    const auto start = std::chrono::steady_clock::now();
    const auto y = tessera::persist(make(), {.checkpoint_dir = checkpoint});
    runtime.barrier();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double sum = tessera::compute(y.sum()).item<double>();
    if (checksum == 0) checksum = sum;
    if (runtime.rank() == 0) {
      std::printf("mode=%s ranks=%d gb=%.3f seconds=%.3f gbps=%.2f same_sum=%d\n", mode, runtime.size(), gb, seconds,
                  gb / seconds, sum == checksum ? 1 : 0);
      std::fflush(stdout);
    }
  };
  timed("plain", "");
  timed("checkpoint_write", dir);
  runtime.barrier();
  if (runtime.rank() == 0) {
    ::sync();
    std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
  }
  timed("checkpoint_read", dir);
  timed("checkpoint_read_cached", dir);
  runtime.barrier();
  if (runtime.rank() == 0) std::filesystem::remove_all(dir);
  return 0;
}
