// read_csv and to_csv (include/tessera/io/csv.hpp): a frame whose partitions
// are CSV blocks read by the tasks that consume them, and writes of each
// partition from the rank that holds it.
#include "collections/dataframe/frame_expr.hpp"
#include "io/csv/csv_reader.hpp"

#include <tessera/error.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/token.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace tessera::dataframe {
namespace {

using detail::FramePtr;
using detail::GraphBuilder;

class CsvBlocks final : public detail::PartitionReader {
 public:
  CsvBlocks(std::vector<csv::Block> blocks, csv::Schema schema, CsvOptions options)
      : blocks_(std::move(blocks)), schema_(std::move(schema)), options_(std::move(options)) {}
  Table read(std::int64_t i) const override {
    return csv::read_block(blocks_[static_cast<std::size_t>(i)], schema_, options_);
  }
  std::shared_ptr<const detail::PartitionReader> project(const std::vector<int>& columns) const override {
    csv::Schema s = schema_;
    s.names.clear(), s.types.clear(), s.field_of.clear();
    for (int c : columns) {
      const auto i = static_cast<std::size_t>(c);
      s.names.push_back(schema_.names[i]);
      s.types.push_back(schema_.types[i]);
      s.field_of.push_back(schema_.field_of[i]);
    }
    return std::make_shared<CsvBlocks>(blocks_, std::move(s), options_);
  }
  std::uint64_t expected_bytes(std::int64_t i) const override {
    const csv::Block& b = blocks_[static_cast<std::size_t>(i)];
    return static_cast<std::uint64_t>(std::max<std::int64_t>(b.end - b.begin, 1));
  }

 private:
  std::vector<csv::Block> blocks_;
  csv::Schema schema_;
  CsvOptions options_;
};

// What defines a read: the files as they are now (path, size, mtime, as
// Dask tokenizes paths) and the options.
std::uint64_t read_token(const std::vector<std::string>& paths, const CsvOptions& o) {
  TokenHasher h;
  for (const auto& p : paths) {
    h.add(std::string_view(p));
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      h.add(static_cast<std::int64_t>(st.st_size));
      h.add(static_cast<std::int64_t>(st.st_mtim.tv_sec));
      h.add(static_cast<std::int64_t>(st.st_mtim.tv_nsec));
    }
  }
  h.add(o.sep);
  h.add(o.quotechar);
  h.add(o.header);
  for (const auto& n : o.names) h.add(std::string_view(n));
  h.add(std::string_view("|usecols"));
  for (const auto& n : o.usecols) h.add(std::string_view(n));
  h.add(std::string_view("|dtype"));
  for (const auto& [n, t] : o.dtype) {
    h.add(std::string_view(n));
    h.add(static_cast<int>(t));
  }
  h.add(std::string_view("|dates"));
  for (const auto& n : o.parse_dates) h.add(std::string_view(n));
  h.add(std::string_view("|na"));
  for (const auto& n : o.na_values) h.add(std::string_view(n));
  h.add(o.keep_default_na);
  h.add(o.blocksize);
  h.add(o.sample);
  h.add(static_cast<int>(o.on_bad_lines));
  return h.value();
}

}  // namespace

DataFrame read_csv(const std::vector<std::string>& paths, const CsvOptions& options) {
  if (paths.empty()) throw InputError("read_csv: no files given");
  csv::Schema schema = csv::infer_schema(paths.front(), options);
  // A first file with a header only says nothing of the types (every column
  // would be a string): the next file with rows does, under the same header.
  for (std::size_t i = 1; schema.sampled_rows == 0 && i < paths.size(); ++i) {
    csv::Schema next = csv::infer_schema(paths[i], options);
    if (next.header != schema.header || next.names != schema.names) break;  // the read names the mismatch
    if (next.sampled_rows > 0) schema = std::move(next);
  }
  std::vector<csv::Block> blocks = csv::plan_blocks(paths, options);
  detail::Schema s;
  s.names = schema.names;
  s.types = schema.types;
  const auto n = static_cast<std::int64_t>(blocks.size());
  return DataFrame(detail::from_reader(std::move(s), n, "read-csv", read_token(paths, options),
                                       std::make_shared<CsvBlocks>(std::move(blocks), std::move(schema), options)));
}

DataFrame read_csv(const std::string& pattern, const CsvOptions& options) {
  return read_csv(csv::expand_glob(pattern), options);
}

namespace {

// Writes partition i to its own file and returns the path.
class WritePartition final : public detail::PartitionStep {
 public:
  WritePartition(std::string pattern, ToCsvOptions options, bool parts)
      : pattern_(std::move(pattern)), options_(options), parts_(parts) {}
  Value finish(std::int64_t i, Table t) const override {
    const std::string path = path_of(i);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("to_csv: cannot write '" + path + "'");
    // One file of parts: only the first part carries the header.
    csv::write_csv(t, out, options_.header && (!parts_ || i == 0), options_.sep);
    out.close();
    if (!out) throw InputError("to_csv: writing '" + path + "' failed");
    return Value::of(path);
  }
  std::string path_of(std::int64_t i) const {
    if (parts_) return pattern_ + ".part-" + std::to_string(i);
    std::string path = pattern_;
    return path.replace(path.find('*'), 1, std::to_string(i));
  }

 private:
  std::string pattern_;
  ToCsvOptions options_;
  bool parts_;
};

// Concatenates the parts of one file in order and removes them.
class JoinParts final : public Layer {
 public:
  explicit JoinParts(std::string path) : path_(std::move(path)) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("to_csv: cannot write '" + path_ + "'");
    for (const Value* v : inputs) {
      const auto& part = v->get<std::string>();
      // (Inserting an empty file's rdbuf would set out's failbit.)
      if (std::filesystem::file_size(part) > 0) {
        std::ifstream in(part, std::ios::binary);
        out << in.rdbuf();
      }
      std::filesystem::remove(part);
    }
    out.close();
    if (!out) throw InputError("to_csv: writing '" + path_ + "' failed");
    return Value::of(path_);
  }

 private:
  std::string path_;
};

}  // namespace

std::vector<std::string> to_csv(const DataFrame& frame, const std::string& pattern, const ToCsvOptions& options) {
  if (options.index) throw InputError("to_csv: a Tessera frame has no index to write (index = false)");
  // The directory, made if missing (as Dask's to_csv does); every rank may
  // write a part, and creating what exists is no error.
  if (const auto dir = std::filesystem::path(pattern).parent_path(); !dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec && !std::filesystem::is_directory(dir)) {
      throw InputError("to_csv: cannot create the directory '" + dir.string() + "': " + ec.message());
    }
  }
  const detail::FrameExpr& e = *frame.expr();
  const bool one_file = pattern.find('*') == std::string::npos;
  TokenHasher h;
  h.mix(e.token);
  h.add(std::string_view(pattern));
  h.add(options.sep);
  h.add(options.header);
  GraphBuilder builder;
  auto step = std::make_shared<WritePartition>(pattern, options, one_file);
  const NodeId first = builder.add_partition_layer(e, KeyName("to-csv"), h.value(), step);
  std::vector<Key> outputs;
  if (one_file) {
    const NodeId last = builder.add_layer(KeyName("to-csv-join"), h.value(), 1, std::make_shared<JoinParts>(pattern),
                                          [&](std::span<const std::int64_t>, std::vector<NodeId>& deps) {
                                            for (std::int64_t i = 0; i < e.npartitions; ++i) {
                                              deps.push_back(first + static_cast<NodeId>(i));
                                            }
                                          });
    outputs.push_back(builder.graph().node(last).key);
  } else {
    for (std::int64_t i = 0; i < e.npartitions; ++i) outputs.push_back(builder.graph().node(first + static_cast<NodeId>(i)).key);
  }
  const Graph graph = builder.take();
  std::vector<std::string> paths;
  for (const Value& v : tessera::compute(graph, outputs)) paths.push_back(v.get<std::string>());
  return paths;
}

}  // namespace tessera::dataframe
