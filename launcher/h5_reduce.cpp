// tessera h5-reduce: the Array for people who do not write C++. Reduces an
// HDF5 dataset (or, with --center, x - x.mean(axis=1, keepdims=True)) to one
// number, or to one number per remaining index with --axis; prints one number
// a line on rank 0: floats with 17 significant digits, integer sums exactly.
#include "commands.hpp"

#include <tessera/array.hpp>
#include <tessera/io/hdf5.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

namespace tessera::launcher {

Action add_h5_reduce(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string file, dataset, op = "sum";
    std::optional<int> axis;
    bool center = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("h5-reduce", "reduce an HDF5 dataset (sum, mean, min, max, std, var) in parallel");
  cmd->add_option("file", options->file, "the HDF5 file")->required();
  cmd->add_option("dataset", options->dataset, "the dataset's path in the file, e.g. /big-data or /group/x")->required();
  cmd->add_option("--op", options->op, "the reduction")
      ->required()  // a silent default would answer a question nobody asked
      ->check(CLI::IsMember({"sum", "mean", "min", "max", "std", "var"}));
  cmd->add_option("--axis", options->axis, "reduce along this axis only: one number per remaining index");
  cmd->add_flag("--center", options->center, "reduce x - x.mean(axis=1, keepdims=True) instead of x");
  return [options, &global] {
    namespace da = tessera::array;
    const std::map<std::string, da::ReduceOp> ops = {{"sum", da::ReduceOp::sum}, {"mean", da::ReduceOp::mean},
                                                 {"min", da::ReduceOp::min}, {"max", da::ReduceOp::max},
                                                 {"std", da::ReduceOp::std}, {"var", da::ReduceOp::var}};
    Array x = da::from_hdf5(options->file, options->dataset);
    if (options->center) {
      if (x.ndim() < 2) {
        throw InputError("--center needs a dataset of 2 or more dimensions; " + options->dataset + " has " +
                         std::to_string(x.ndim()));
      }
      x = x - x.mean(1, true);
    }
    const da::Axes axes = options->axis ? da::Axes(*options->axis) : da::Axes();
    const NDArray result = x.reduce(ops.at(options->op), axes).compute();
    if (global.runtime->rank() != 0) return 0;
    for (std::int64_t i = 0; i < result.size(); ++i) {
      if (is_float(result.dtype())) {
        std::printf("%.17g\n", result.at(i));
      } else if (is_unsigned_int(result.dtype())) {
        std::printf("%llu\n", static_cast<unsigned long long>(result.astype(DType::uint64).view<std::uint64_t>()[static_cast<std::size_t>(i)]));
      } else {
        std::printf("%lld\n", static_cast<long long>(result.astype(DType::int64).view<std::int64_t>()[static_cast<std::size_t>(i)]));
      }
    }
    return 0;
  };
}

}  // namespace tessera::launcher
