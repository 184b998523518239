// The C++ side of tests/oracle/hdf5_oracle.py, which checks it against h5py.
//
//   hdf5_roundtrip write FILE                       collective: every rank writes its rows
//   hdf5_roundtrip read [--runtime] [--out PREFIX] FILE REQUEST...
//       REQUEST is DATASET:DTYPE:OFFSETS:COUNTS, e.g. /g/x:float64:0,5:10,3;
//       prints "info DATASET DTYPE SHAPE CHUNKS" and "values v v ..." per
//       request (with --out, to PREFIX.RANK, one file per rank).
//   On a tessera::Error: its message on stderr, exit status 2.
#include "io/hdf5/hdf5_file.hpp"

#include <tessera/error.hpp>
#include <tessera/runtime.hpp>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using tessera::DType;

std::vector<std::int64_t> numbers(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(std::stoll(item));
  }
  return out;
}

std::string joined(const std::vector<std::int64_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out.empty() ? "-" : out;
}

// The values the oracle expects of each written dataset, by element.
double f64_value(std::int64_t i, std::int64_t j) { return static_cast<double>(i) * 1000 + static_cast<double>(j) * 0.5; }
std::int16_t i16_value(std::int64_t i) { return static_cast<std::int16_t>(i * 3 - 100); }
std::uint64_t u64_value(std::int64_t i, std::int64_t j) { return (std::uint64_t{1} << 40) + static_cast<std::uint64_t>(i * 6 + j); }

int write(const std::string& path) {
  const std::vector<tessera::io::Hdf5DatasetSpec> specs = {{"/w/f64", DType::float64, {123, 45}, {50, 20}},
                                                           {"/w/i16", DType::int16, {77}, {}},
                                                           {"/w/b", DType::bool_, {10}, {4}},
                                                           {"/u64", DType::uint64, {5, 6}, {}}};
  tessera::io::Hdf5Writer out(path, specs);
  const auto* rt = tessera::Runtime::current();
  const std::int64_t rank = rt->rank(), size = rt->size();
  for (std::int64_t i = rank; i < 123; i += size) {  // row by row, round robin
    std::vector<double> row;
    for (std::int64_t j = 0; j < 45; ++j) row.push_back(f64_value(i, j));
    const std::vector<std::int64_t> offset = {i, 0}, count = {1, 45};
    out.write(0, offset, count, DType::float64, row.data());
  }
  for (std::int64_t i = rank * 7; i < 77; i += size * 7) {  // given as int32
    std::vector<std::int32_t> part;
    for (std::int64_t k = i; k < std::min<std::int64_t>(i + 7, 77); ++k) part.push_back(i16_value(k));
    const std::vector<std::int64_t> offset = {i}, count = {static_cast<std::int64_t>(part.size())};
    out.write(1, offset, count, DType::int32, part.data());
  }
  if (rank == size - 1) {
    const bool flags[10] = {true, false, true, false, true, false, true, false, true, false};
    const std::vector<std::int64_t> offset = {0}, count = {10};
    out.write(2, offset, count, DType::bool_, flags);
    std::vector<std::uint64_t> v;
    for (std::int64_t i = 0; i < 5; ++i)
      for (std::int64_t j = 0; j < 6; ++j) v.push_back(u64_value(i, j));
    const std::vector<std::int64_t> o2 = {0, 0}, c2 = {5, 6};
    out.write(3, o2, c2, DType::uint64, v.data());
  }
  out.close();
  return 0;
}

void read_one(const std::string& path, const std::string& request, std::ostream& out) {
  std::vector<std::string> fields;
  std::stringstream in(request);
  for (std::string f; std::getline(in, f, ':');) fields.push_back(f);
  fields.resize(4);
  const std::string& dataset = fields[0];
  const DType dtype = tessera::parse_dtype(fields[1]);
  const auto offset = numbers(fields[2]), count = numbers(fields[3]);
  const auto info = tessera::io::hdf5_dataset_info(path, dataset);
  out << "info " << dataset << " " << tessera::dtype_name(info.dtype) << " " << joined(info.shape) << " "
      << joined(info.chunk_shape) << "\n";
  std::size_t n = 1;
  for (auto c : count) n *= static_cast<std::size_t>(c);
  std::vector<unsigned char> bytes(n * tessera::itemsize(dtype));
  tessera::io::hdf5_read(path, dataset, offset, count, dtype, bytes.data());
  out << "values";
  tessera::visit_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* v = reinterpret_cast<const T*>(bytes.data());
    char text[64];
    for (std::size_t k = 0; k < n; ++k) {
      if constexpr (std::is_floating_point_v<T>) std::snprintf(text, sizeof text, " %.17g", static_cast<double>(v[k]));
      else if constexpr (std::is_signed_v<T>) std::snprintf(text, sizeof text, " %" PRId64, static_cast<std::int64_t>(v[k]));
      else std::snprintf(text, sizeof text, " %" PRIu64, static_cast<std::uint64_t>(v[k]));
      out << text;
    }
  });
  out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "write") {
      tessera::Runtime runtime(argc, argv);
      return write(args[1]);
    }
    if (args.size() < 2 || args[0] != "read") {
      std::cerr << "usage: hdf5_roundtrip write FILE | read [--runtime] [--out PREFIX] FILE DATASET:DTYPE:OFFSETS:COUNTS...\n";
      return 64;
    }
    std::size_t k = 1;
    std::unique_ptr<tessera::Runtime> runtime;
    std::string out_prefix;
    for (; k < args.size() && args[k].starts_with("--"); ++k) {
      if (args[k] == "--runtime") runtime = std::make_unique<tessera::Runtime>(argc, argv);
      if (args[k] == "--out") out_prefix = args[++k];
    }
    std::ofstream file;
    if (!out_prefix.empty()) file.open(out_prefix + "." + std::to_string(runtime ? runtime->rank() : 0));
    std::ostream& out = out_prefix.empty() ? std::cout : file;
    out << "driver " << tessera::io::hdf5_read_driver() << "\n";
    const std::string path = args.at(k);
    for (++k; k < args.size(); ++k) read_one(path, args[k], out);
    return 0;
  } catch (const tessera::Error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
