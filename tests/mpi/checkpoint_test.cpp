// persist() with a checkpoint directory, at 1, 2 and 4 ranks: a run that
// fails part-way leaves what it finished, the next computes only the rest,
// one after a complete run computes nothing, and the answers are the same;
// another graph under the same keys, a damaged chunk and a type that cannot
// be written are errors on every rank; a torn index line costs one chunk.
// (tests/checkpoint/resume_test.sh kills a job for real and restarts it.)
#include <tessera/array.hpp>
#include <tessera/checkpoint.hpp>
#include <tessera/collection.hpp>
#include <tessera/compute.hpp>
#include <tessera/dataframe.hpp>
#include <tessera/error.hpp>
#include <tessera/graph.hpp>
#include <tessera/runtime.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

namespace da = tessera::array;
namespace dd = tessera::dataframe;
namespace fs = std::filesystem;
using tessera::DType;

namespace {

const tessera::Runtime& runtime() { return *tessera::Runtime::current(); }

// A fresh directory name every rank agrees on (not made: persist() makes it).
std::string shared_dir(const std::string& name) {
  std::string dir;
  if (runtime().rank() == 0) {
    dir = (fs::temp_directory_path() / ("tessera-ckpt-" + std::to_string(::getpid()) + "-" + name)).string();
    fs::remove_all(dir);
  }
  return runtime().broadcast(dir, 0);
}

void remove_dir(const std::string& dir) {
  runtime().barrier();
  if (runtime().rank() == 0) fs::remove_all(dir);
}

// Chunks in the checkpoint: the complete lines of every rank's index, once
// every rank is here (each rank's persist() returns when its own lines are
// synced, not the others').
std::int64_t chunks_written(const std::string& dir) {
  runtime().barrier();
  std::int64_t lines = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".index") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) ++lines;
  }
  return lines;
}

std::atomic<int> blocks_made{0};
std::atomic<int> fail_at{-1};  // a block index (flattened) whose fill throws, or -1

// x[i, j] = i * 30 + j, filled block by block (counted), then 2x + 1: 12 chunks.
da::Array field() {
  auto x = da::from_function({40, 30}, {10, 10}, DType::float64, [](const da::BlockInfo& info, std::span<std::byte> out) {
    blocks_made.fetch_add(1);
    if (info.index[0] * 3 + info.index[1] == fail_at.load()) throw std::runtime_error("the node went down");
    auto* v = reinterpret_cast<double*>(out.data());
    for (std::int64_t i = 0; i < info.shape[0]; ++i) {
      for (std::int64_t j = 0; j < info.shape[1]; ++j) *v++ = double((info.offset[0] + i) * 30 + info.offset[1] + j);
    }
  }, "checkpoint_test_field");
  return x * 2.0 + 1.0;
}

void expect_field(const da::Array& a) {
  const tessera::NDArray values = a.compute();
  ASSERT_EQ(values.size(), 40 * 30);
  for (std::int64_t k = 0; k < 40 * 30; ++k) ASSERT_EQ(values.at(k), 2.0 * double(k) + 1.0) << k;
}

int made_over_ranks() { return static_cast<int>(runtime().sum_over_ranks(blocks_made.exchange(0))); }

TEST(Checkpoint, AFailedRunLeavesWhatItFinishedAndTheNextComputesTheRest) {
  const std::string dir = shared_dir("array");
  fail_at = 7;
  EXPECT_THROW(tessera::persist(field(), dir), tessera::TaskError);
  fail_at = -1;
  made_over_ranks();
  const std::int64_t kept = chunks_written(dir);
  EXPECT_LT(kept, 12);  // block 7 never made it

  const auto resumed = tessera::persist(field(), dir);
  EXPECT_EQ(made_over_ranks(), 12 - kept);  // only the rest
  EXPECT_EQ(chunks_written(dir), 12);
  expect_field(resumed);

  const auto again = tessera::persist(field(), dir);  // everything is there
  EXPECT_EQ(made_over_ranks(), 0);
  EXPECT_EQ(chunks_written(dir), 12);
  expect_field(again);
  expect_field(tessera::persist(field(), {.checkpoint_dir = ""}));  // explicitly off: computed again
  EXPECT_EQ(made_over_ranks(), 12);
  remove_dir(dir);
}

TEST(Checkpoint, TheDefaultDirectoryIsUsedWhenPersistDoesNotSay) {
  const std::string dir = shared_dir("default");
  tessera::set_default_checkpoint_dir(dir);
  expect_field(field().persist());
  EXPECT_EQ(made_over_ranks(), 12);
  expect_field(tessera::persist(field()));
  EXPECT_EQ(made_over_ranks(), 0);
  tessera::set_default_checkpoint_dir("");
  remove_dir(dir);
}

TEST(Checkpoint, ASyncRunOnEveryRankWritesItsOwnFiles) {
  const std::string dir = shared_dir("sync");
  const tessera::ComputeOptions sync{.scheduler = tessera::SchedulerKind::sync, .checkpoint_dir = dir};
  expect_field(tessera::persist(field(), sync));
  // Every rank runs the whole graph, reading back what another rank already
  // wrote when it looks: each chunk is made at least once, and each made is written.
  const int made = made_over_ranks();
  EXPECT_GE(made, 12);
  EXPECT_LE(made, 12 * runtime().size());
  runtime().barrier();
  EXPECT_EQ(chunks_written(dir), made);
  runtime().barrier();
  expect_field(tessera::persist(field(), sync));
  EXPECT_EQ(made_over_ranks(), 0);
  remove_dir(dir);
}

// Parts keyed by hand, so that another scale keeps the keys and changes the graph.
tessera::Graph scaled_parts(double scale, std::vector<tessera::NodeId>& outputs) {
  tessera::Graph g;
  outputs.clear();
  for (int i = 0; i < 6; ++i) {
    outputs.push_back(g.add_task(tessera::Key("part", {i}), [](int i, double s) { return std::vector<double>(100, i * s); },
                                 i, scale));
  }
  return g;
}

TEST(Checkpoint, AnotherGraphUnderTheSameKeysIsAnErrorOnEveryRank) {
  const std::string dir = shared_dir("graph");
  std::vector<tessera::NodeId> outputs;
  tessera::ComputeOptions options{.checkpoint_dir = dir};
  const tessera::Graph once = scaled_parts(1.0, outputs);
  const auto first = tessera::persist_nodes(once, outputs, options);
  ASSERT_EQ(first.size(), 6u);
  try {
    const tessera::Graph twice = scaled_parts(2.0, outputs);
    tessera::persist_nodes(twice, outputs, options);
    ADD_FAILURE() << "a checkpoint of another graph was used";
  } catch (const tessera::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("different graph"), std::string::npos) << what;
    EXPECT_NE(what.find(dir), std::string::npos) << what;
    EXPECT_NE(what.find("part"), std::string::npos) << what;
  }
  // The same graph again still reads it back.
  const tessera::Graph same = scaled_parts(1.0, outputs);
  const auto again = tessera::persist_nodes(same, outputs, options);
  for (std::size_t i = 0; i < again.size(); ++i) {
    if (again[i].holder != runtime().rank() && again[i].holder != -1) continue;
    EXPECT_EQ(again[i].value.get().get<std::vector<double>>(), std::vector<double>(100, double(i)));
  }
  remove_dir(dir);
}

TEST(Checkpoint, ADamagedChunkIsAnErrorNamingItsFile) {
  const std::string dir = shared_dir("damaged");
  expect_field(tessera::persist(field(), dir));
  made_over_ranks();
  runtime().barrier();
  if (runtime().rank() == 0) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".data") continue;
      std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
      char c = 0;
      f.seekg(100);
      f.read(&c, 1);
      c = static_cast<char>(c ^ 0x5a);
      f.seekp(100);
      f.write(&c, 1);
      break;
    }
  }
  runtime().barrier();
  try {
    tessera::persist(field(), dir);
    ADD_FAILURE() << "a damaged chunk was read back";
  } catch (const tessera::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("checksum"), std::string::npos) << what;
    EXPECT_NE(what.find(".data"), std::string::npos) << what;
  }
  made_over_ranks();
  remove_dir(dir);
}

TEST(Checkpoint, ATornIndexLineCostsOneChunk) {
  const std::string dir = shared_dir("torn");
  expect_field(tessera::persist(field(), dir));
  made_over_ranks();
  runtime().barrier();
  if (runtime().rank() == 0) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".index" || fs::file_size(entry.path()) == 0) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      std::string lines = text.str();
      lines.resize(lines.size() - 9);  // the last line loses its end, as a kill mid-write would leave it
      in.close();
      std::ofstream(entry.path(), std::ios::trunc) << lines;
      break;
    }
  }
  runtime().barrier();
  expect_field(tessera::persist(field(), dir));
  EXPECT_EQ(made_over_ranks(), 1);
  // The torn line was ended before the new one went after it: nothing more is lost.
  expect_field(tessera::persist(field(), dir));
  EXPECT_EQ(made_over_ranks(), 0);
  remove_dir(dir);
}

// Parameters of a type with no content token: a changed value could not be
// told from the old one, so what depends on it is never read back.
struct Params {  // no Transport, not trivially copyable
  std::string label;
  double scale = 1;
};

TEST(Checkpoint, ResultsOfAnUnfingerprintableLiteralAreComputedEveryTime) {
  const std::string dir = shared_dir("opaque-literal");
  static std::atomic<int> calls{0};
  auto build = [](double scale, std::vector<tessera::NodeId>& outputs) {
    tessera::Graph g;
    g.add_data(tessera::Key("params"), Params{"run", scale});
    outputs = {g.add_task(tessera::Key("scaled"),
                          [](const Params& p) {
                            calls.fetch_add(1);
                            return std::vector<double>(10, p.scale);
                          },
                          tessera::ref<Params>(tessera::Key("params")))};
    return g;
  };
  std::vector<tessera::NodeId> outputs;
  for (double scale : {1.0, 2.0}) {
    const tessera::Graph g = build(scale, outputs);
    const auto held = tessera::persist_nodes(g, outputs, {.checkpoint_dir = dir});
    if (held[0].holder == runtime().rank() || held[0].holder == -1) {
      EXPECT_EQ(held[0].value.get().get<std::vector<double>>(), std::vector<double>(10, scale));
    }
  }
  EXPECT_EQ(runtime().sum_over_ranks(calls.exchange(0)), 2);
  runtime().barrier();
  EXPECT_EQ(chunks_written(dir), 0);
  remove_dir(dir);
}

TEST(Checkpoint, ARankWithAnotherGraphGetsTheGraphCheck) {
  if (runtime().size() == 1) GTEST_SKIP() << "needs two ranks";
  const std::string dir = shared_dir("mismatch");
  tessera::Graph g;
  std::vector<tessera::NodeId> outputs;
  const int parts = runtime().rank() == 0 ? 6 : 5;  // a rank-dependent graph, the user's bug
  for (int i = 0; i < parts; ++i) {
    outputs.push_back(g.add_task(tessera::Key("part", {i}), [](int i) { return std::vector<double>(4, i); }, i));
  }
  EXPECT_THROW(tessera::persist_nodes(g, outputs, {.checkpoint_dir = dir}), tessera::GraphMismatch);
  remove_dir(dir);
}

TEST(Checkpoint, ADataFrameResumesItsPartitions) {
  const std::string dir = shared_dir("frame");
  tessera::ColumnBuilder k(tessera::ColumnType::int64), v(tessera::ColumnType::float64);
  for (int i = 0; i < 1000; ++i) {
    k.append(std::int64_t{i % 7});
    v.append(i * 0.5);
  }
  const auto df = dd::from_table(tessera::Table({"k", "v"}, {k.finish(), v.finish()}), 5);
  auto doubled = [&] { return df.assign("w", df["v"] * 2.0); };
  const auto first = tessera::persist(doubled(), dir);
  EXPECT_EQ(chunks_written(dir), 5);
  const auto second = tessera::persist(doubled(), dir);
  EXPECT_EQ(chunks_written(dir), 5);  // read back, nothing written again
  const tessera::Table t = second.compute();
  ASSERT_EQ(t.num_rows(), 1000);
  for (std::int64_t r = 0; r < 1000; ++r) {
    ASSERT_EQ(t.column("w").float64s()[static_cast<std::size_t>(r)], double(r));
    ASSERT_EQ(t.column("k").int64s()[static_cast<std::size_t>(r)], r % 7);
  }
  remove_dir(dir);
}

struct Opaque {  // not trivially copyable, no Transport: it cannot be written out
  std::shared_ptr<int> p;
};

TEST(Checkpoint, AResultThatCannotBeWrittenIsAnErrorNamingItsType) {
  const std::string dir = shared_dir("opaque");
  tessera::Graph g;
  const auto id = g.add_task(tessera::Key("opaque"), [] { return Opaque{}; });
  try {
    tessera::persist_nodes(g, std::vector<tessera::NodeId>{id}, {.checkpoint_dir = dir});
    ADD_FAILURE() << "an opaque result was checkpointed";
  } catch (const tessera::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Opaque"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot be written"), std::string::npos) << what;
  }
  remove_dir(dir);
}

}  // namespace
