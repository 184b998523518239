// tessera demo: writes a few files of numbers, then runs the seed's Delayed
// example (load, process, summarize) on them and prints the summary; then
// writes an HDF5 dataset with parallel HDF5 and runs the seed's Array
// example, (x - x.mean(axis=1, keepdims=True)).compute(), on it; then writes
// daily CSV files and runs the seed's DataFrame example,
// read_csv(...).groupby("user_id")["value"].mean(), on them.
#include "commands.hpp"
#include "delayed_files.hpp"
#include "csv_groupby.hpp"
#include "json_topk.hpp"
#include "hdf5_center.hpp"

#include <tessera/array.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace tessera::launcher {

Action add_demo(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string dir;
    int files = 8;
    int rows = 200'000;
    std::uint64_t seed = 42;
    std::string scheduler = "threads";
    std::string visualize;
    bool keep = false;
    std::vector<std::int64_t> array_shape{4000, 2500};
    std::vector<std::int64_t> array_chunks{1000, 1250};
    int csv_files = 4;
    std::int64_t csv_rows = 100'000;
    int json_files = 4;
    std::int64_t json_records = 50'000;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("demo", "write demo files and run the seed's Delayed and Array examples on them");
  cmd->add_option("--dir", options->dir, "where to write the files (default: a temporary directory, removed after)");
  cmd->add_option("--files", options->files, "number of files")->check(CLI::Range(1, 100000));
  cmd->add_option("--rows", options->rows, "numbers per file")->check(CLI::Range(0, 100'000'000));
  cmd->add_option("--seed", options->seed, "random seed of the data");
  cmd->add_option("--scheduler", options->scheduler, "sync or threads")->check(CLI::IsMember({"sync", "threads"}));
  cmd->add_option("--visualize", options->visualize, "also draw the task graph to this file (.dot, .svg, .png)")
      ->check([](const std::string& path) {
        // Said before anything runs, naming the directory rather than the file.
        const auto dir = std::filesystem::path(path).parent_path();
        if (dir.empty() || std::filesystem::is_directory(dir)) return std::string();
        return "the directory " + dir.string() + " does not exist";
      });
  cmd->add_option("--array-shape", options->array_shape, "rows and columns of the HDF5 dataset (default 4000 2500)")
      ->expected(2)
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  cmd->add_option("--array-chunks", options->array_chunks, "the Array example's chunk shape (default 1000 1250)")
      ->expected(2)
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  cmd->add_option("--csv-files", options->csv_files, "CSV files of the DataFrame example (default 4)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--csv-rows", options->csv_rows, "rows per CSV file (default 100000)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000'000}));
  cmd->add_option("--json-files", options->json_files, "gzip'd JSON-lines files of the Bag example (default 4)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--json-records", options->json_records, "records per JSON file (default 50000)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000'000}));
  cmd->add_flag("--keep", options->keep, "keep the files");
  return [options, &global] {
    namespace fs = std::filesystem;
    const Runtime& runtime = *global.runtime;
    const bool temporary = options->dir.empty();
    // Every rank reads the same files: rank 0 names the directory and writes them.
    std::string dir = options->dir;
    if (temporary) dir = (fs::temp_directory_path() / ("tessera-demo-" + std::to_string(::getpid()))).string();
    dir = runtime.broadcast(dir);
    // Rank 0 removes a temporary directory however the demo ends (an error,
    // an exception): every failure below is collective, so no rank still
    // reads the files then.
    struct RemoveOnExit {
      std::string dir;
      ~RemoveOnExit() {
        std::error_code ignored;
        if (!dir.empty()) fs::remove_all(dir, ignored);
      }
    } remove_on_exit{temporary && !options->keep && runtime.rank() == 0 ? dir : std::string()};
    // Runs `step` on rank 0 and throws its error on every rank.
    auto on_rank_0 = [&runtime](auto&& step) {
      std::string failure;
      if (runtime.rank() == 0) {
        try {
          step();
        } catch (const std::exception& e) {
          failure = e.what();
        }
      }
      failure = runtime.broadcast(failure);
      if (!failure.empty()) throw_error(ErrorKind::input, failure);
    };
    std::vector<std::string> paths;
    on_rank_0([&] {
      paths = examples::write_demo_files(dir, options->files, options->rows, options->seed);
      std::cout << "wrote " << paths.size() << " files of " << options->rows << " numbers to " << dir << "\n";
    });
    if (runtime.rank() != 0) paths = examples::demo_file_paths(dir, options->files);

    auto summary = examples::summarize_files(paths);
    if (!options->visualize.empty()) {
      on_rank_0([&] {
        summary.visualize(options->visualize);
        std::cout << "drew the graph to " << options->visualize << "\n";
      });
    }
    ComputeOptions compute_options;
    compute_options.scheduler = options->scheduler == "sync" ? SchedulerKind::sync : SchedulerKind::threads;
    compute_options.threads = global.threads;
    auto start = std::chrono::steady_clock::now();
    examples::Stats stats = tessera::compute(summary, compute_options);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (runtime.rank() == 0) {
      std::printf("ranks=%d tasks=%zu seconds=%.3f\n", runtime.size(), 2 * paths.size() + 1, seconds);
      std::printf("count=%llu mean=%.9g std=%.9g min=%.6f max=%.6f\n",
                  static_cast<unsigned long long>(stats.count), stats.mean(), stats.std(), stats.min, stats.max);
      std::fflush(stdout);
    }

    // The Array example: every rank writes its chunks of the file, then
    // x = from_hdf5(...); (x - x.mean(axis=1, keepdims=True)).compute().
    const std::int64_t rows = options->array_shape[0], cols = options->array_shape[1];
    const std::string h5 = (fs::path(dir) / "big.hdf5").string();
    start = std::chrono::steady_clock::now();
    examples::write_demo_hdf5(h5, "/big-data", rows, cols, options->array_chunks[0], options->seed, compute_options);
    const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const array::ChunkSpec chunks(array::Shape{std::min(options->array_chunks[0], rows), std::min(options->array_chunks[1], cols)});
    start = std::chrono::steady_clock::now();
    const NDArray y = examples::center_rows(h5, "/big-data", chunks, compute_options);
    const double center_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // The DataFrame example: rank 0 writes daily CSV files, then
    // read_csv("2015-*-*.csv").groupby("user_id")["value"].mean().compute().
    const std::string csv_dir = (fs::path(dir) / "csv").string();
    on_rank_0([&] { examples::write_demo_csv(csv_dir, options->csv_files, options->csv_rows, options->seed); });
    start = std::chrono::steady_clock::now();
    const Table means = examples::user_means(csv_dir + "/2015-*-*.csv", compute_options);
    const double frame_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // The Bag example: rank 0 writes daily gzip'd JSON lines, then
    // read_json("2015-*-*.json.gz").pluck("name").frequencies().topk(10, by count).compute().
    const std::string json_dir = (fs::path(dir) / "json").string();
    on_rank_0([&] { examples::write_demo_json(json_dir, options->json_files, options->json_records, options->seed); });
    start = std::chrono::steady_clock::now();
    const auto top = examples::top_names(json_dir + "/2015-*-*.json.gz", 10, compute_options);
    const double bag_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    runtime.barrier();  // nobody reads the files any more
    if (runtime.rank() != 0) return 0;
    const double mb = static_cast<double>(rows) * static_cast<double>(cols) * 8 / 1e6;
    std::printf("wrote %s: /big-data %lld x %lld float64 (%.1f MB), every rank its chunks, seconds=%.3f\n", h5.c_str(),
                static_cast<long long>(rows), static_cast<long long>(cols), mb, write_seconds);
    std::printf("x = from_hdf5(big.hdf5, /big-data, chunks=(%lld, %lld)); y = (x - x.mean(axis=1, keepdims=True)).compute()\n",
                static_cast<long long>(std::min(options->array_chunks[0], rows)),
                static_cast<long long>(std::min(options->array_chunks[1], cols)));
    std::printf("array ranks=%d seconds=%.3f MB/s=%.0f\n", runtime.size(), center_seconds, mb / center_seconds);
    const examples::CenteredSummary c = examples::summarize_centered(y);
    std::printf("y_mean=%.17g y_std=%.17g max_abs_row_mean=%.3g y_0_0=%.17g y_0_1=%.17g y_last=%.17g\n", c.mean, c.std,
                c.max_abs_row_mean, c.first, c.second, c.last);
    std::printf("df = read_csv(%s/2015-*-*.csv); df.groupby(\"user_id\")[\"value\"].mean().compute()\n", csv_dir.c_str());
    std::cout << means.to_string(10);
    double total = 0;
    for (std::int64_t r = 0; r < means.num_rows(); ++r) total += means.column("value").as_double(r);
    std::printf("dataframe ranks=%d seconds=%.3f users=%lld sum_of_means=%.17g first_user=%lld first_mean=%.17g\n",
                runtime.size(), frame_seconds, static_cast<long long>(means.num_rows()), total,
                static_cast<long long>(means.num_rows() ? means.column("user_id").int64s()[0] : -1),
                means.num_rows() ? means.column("value").as_double(0) : 0.0);
    std::printf("b = read_json(%s/2015-*-*.json.gz); b.pluck(\"name\").frequencies().topk(10, by count).compute()\n",
                json_dir.c_str());
    for (const auto& [name, count] : top) std::printf("  %s\t%lld\n", name.to_text().c_str(), static_cast<long long>(count));
    std::printf("bag ranks=%d seconds=%.3f top_name=%s top_n=%lld names=%zu\n", runtime.size(), bag_seconds,
                top.empty() ? "" : top[0].first.to_text().c_str(), static_cast<long long>(top.empty() ? 0 : top[0].second),
                top.size());
    return 0;
  };
}

}  // namespace tessera::launcher
