// A job whose slow blocks are persisted into a checkpoint directory, then
// summed: tests/checkpoint/resume_test.py kills it part-way and starts it
// again. Each block it computes (rather than reads back) is logged.
//
//   checkpoint_job DIR BLOCKS BLOCK_MS LOG_DIR     prints "sum S" on rank 0
//
// DIR "-" persists into the default directory (TESSERA_CHECKPOINT_DIR), as
// under jobs/slurm/resumable.sbatch.
#include <tessera/array.hpp>
#include <tessera/checkpoint.hpp>
#include <tessera/collection.hpp>
#include <tessera/runtime.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

namespace da = tessera::array;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: checkpoint_job DIR BLOCKS BLOCK_MS LOG_DIR\n");
    return 2;
  }
  const std::string dir = argv[1], log_dir = argv[4];
  const std::int64_t blocks = std::stoll(argv[2]), block = 1000;
  const int block_ms = std::stoi(argv[3]);
  std::mutex log_mutex;
  std::ofstream log(log_dir + "/rank-" + std::to_string(runtime.rank()) + "-" + std::to_string(::getpid()) + ".txt");

  // x[k] = k; the blocks of 2x + 1 are what is checkpointed, and they sum to n^2.
  auto x = da::from_function({blocks * block}, {block}, tessera::DType::float64,
                             [&](const da::BlockInfo& info, std::span<std::byte> out) {
                               std::this_thread::sleep_for(std::chrono::milliseconds(block_ms));
                               auto* v = reinterpret_cast<double*>(out.data());
                               for (std::int64_t k = 0; k < info.shape[0]; ++k) v[k] = double(info.offset[0] + k);
                               std::lock_guard lock(log_mutex);
                               log << info.index[0] << std::endl;
                             }, "slow_field");
  const auto y = dir == "-" ? tessera::persist(x * 2.0 + 1.0) : tessera::persist(x * 2.0 + 1.0, dir);
  const double sum = tessera::compute(y.sum()).item<double>();
  if (runtime.rank() == 0) std::printf("sum %.17g\n", sum);
  return 0;
}
