// The Bag's untyped core (include/tessera/detail/bag_core.hpp). The graph of
// a bag is built once per expression: one layer per consumer, whose task i
// runs the source, the composed transform and the consumer's step.
#include <tessera/detail/bag_core.hpp>
#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include "graph/layer_builder.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace tessera::bag::detail {

struct BagExpr;

namespace {

class Builder;

// Partitions that are the values of npartitions consecutive graph nodes.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual NodeId build(Builder& b) const = 0;
};

}  // namespace

struct BagExpr {
  std::int64_t npartitions = 0;
  KeyName name;
  std::uint64_t token = 0;
  ReadPartition read;                        // or
  std::shared_ptr<const NodeSource> nodes;   // the partitions are graph nodes
  TransformPartition transform;              // may be empty
  FieldReader field_reader;                  // a source that reads single fields (read_json), untransformed
  CountReader count_reader;                  // a source of one field that counts its values (read_json's pluck)

  mutable std::shared_ptr<const Graph> graph;
  mutable std::vector<Key> output_keys;
  mutable std::once_flag graph_once;
};

namespace {

// Runs a bag's source and transform for partition i, then `step`.
class PartitionLayer final : public Layer {
 public:
  PartitionLayer(ReadPartition read, TransformPartition transform, TransformPartition step)
      : read_(std::move(read)), transform_(std::move(transform)), step_(std::move(step)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    const std::int64_t i = index[0];
    Value v = read_ ? read_(i) : *inputs[0];
    if (transform_) v = transform_(v, i);
    return step_ ? step_(v, i) : v;
  }

 private:
  ReadPartition read_;
  TransformPartition transform_, step_;
};

class Builder : public graph::LayerBuilder {
 public:
  // A layer of e.npartitions tasks: source, transform, then `step` (none: the partition itself).
  NodeId add_partitions(const BagExpr& e, KeyName name, std::uint64_t token, TransformPartition step) {
    if (auto known = find(name, token)) return *known;
    NodeId input = 0;
    if (e.nodes) input = e.nodes->build(*this);
    auto layer = std::make_shared<PartitionLayer>(e.read, e.transform, std::move(step));
    return add_layer(name, token, e.npartitions, std::move(layer),
                     [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
                       if (e.nodes) deps.push_back(input + static_cast<NodeId>(block[0]));
                     });
  }
};

std::shared_ptr<BagExpr> new_bag(std::int64_t npartitions, std::string_view op, std::uint64_t token) {
  auto e = std::make_shared<BagExpr>();
  e->npartitions = npartitions;
  e->name = KeyName(op);
  e->token = token;
  return e;
}

template <class Build>
class NodesOf final : public NodeSource {
 public:
  explicit NodesOf(Build build) : build_(std::move(build)) {}
  NodeId build(Builder& b) const override { return build_(b); }

 private:
  Build build_;
};
template <class Build>
std::shared_ptr<const NodeSource> nodes_of(Build build) {
  return std::make_shared<NodesOf<Build>>(std::move(build));
}

// Up to eight results at a time, in order, merged by `combine`.
class CombineLayer final : public Layer {
 public:
  CombineLayer(CombineValues combine, bool final) : combine_(std::move(combine)), final_(final) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    std::vector<Value> parts;
    parts.reserve(inputs.size());
    for (const Value* v : inputs) parts.push_back(*v);
    return combine_(std::move(parts), final_);
  }

 private:
  CombineValues combine_;
  bool final_;
};

class ReadPart final : public Layer {
 public:
  explicit ReadPart(FinishPart finish) : finish_(std::move(finish)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    return finish_(inputs[0]->get<ExchangeInboxPtr>()->take(index[0]), index[0]);
  }

 private:
  FinishPart finish_;
};

class ZipLayer final : public Layer {
 public:
  explicit ZipLayer(ZipPartitions f) : f_(std::move(f)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    return f_(*inputs[0], *inputs[1], index[0]);
  }

 private:
  ZipPartitions f_;
};

std::uint64_t mixed(std::uint64_t token, std::string_view op, std::uint64_t more) {
  TokenHasher h;
  h.mix(token);
  h.add(op);
  h.mix(more);
  return h.value();
}

}  // namespace

std::int64_t npartitions(const BagExpr& e) { return e.npartitions; }
std::uint64_t token_of(const BagExpr& e) { return e.token; }

std::uint64_t op_token(std::string_view op, const std::type_info& function, std::uint64_t input_token) {
  static std::atomic<std::uint64_t> ops{0};
  TokenHasher h;
  h.add(op);
  h.add(std::string_view(function.name()));
  h.mix(input_token);
  h.add(static_cast<std::int64_t>(ops.fetch_add(1)));
  return h.value();
}

BagPtr from_reader(std::int64_t npartitions, std::string_view op, std::uint64_t token, ReadPartition read) {
  if (npartitions < 0) throw InputError("a bag cannot have " + std::to_string(npartitions) + " partitions");
  auto e = new_bag(npartitions, op, token);
  e->read = std::move(read);
  return e;
}

namespace {
// The same source, readers included, with a graph of its own to build.
std::shared_ptr<BagExpr> same_source(const BagExpr& source) {
  auto e = std::make_shared<BagExpr>();
  e->npartitions = source.npartitions;
  e->name = source.name;
  e->token = source.token;
  e->read = source.read;
  e->nodes = source.nodes;
  e->transform = source.transform;
  e->field_reader = source.field_reader;
  e->count_reader = source.count_reader;
  return e;
}
}  // namespace

BagPtr with_field_reader(BagPtr source, FieldReader reader) {
  auto e = same_source(*source);
  e->field_reader = std::move(reader);
  return e;
}

FieldReader field_reader(const BagExpr& e) { return e.field_reader; }

BagPtr with_count_reader(BagPtr source, CountReader reader) {
  auto e = same_source(*source);
  e->count_reader = std::move(reader);
  return e;
}

CountReader count_reader(const BagExpr& e) { return e.count_reader; }

BagPtr derive(const BagPtr& input, std::string_view op, std::uint64_t token, TransformPartition f) {
  auto e = new_bag(input->npartitions, op, mixed(input->token, op, token));
  e->read = input->read;
  e->nodes = input->nodes;
  if (input->transform) {
    e->transform = [first = input->transform, then = std::move(f)](const Value& v, std::int64_t i) {
      return then(first(v, i), i);
    };
  } else {
    e->transform = std::move(f);
  }
  return e;
}

BagPtr reduce(const BagPtr& input, std::string_view op, std::uint64_t token, TransformPartition chunk,
              CombineValues combine) {
  const std::uint64_t t = mixed(input->token, op, token);
  const std::string name(op);
  auto build = [input, name, t, chunk = std::move(chunk), combine = std::move(combine)](Builder& b) {
    const NodeId chunks = b.add_partitions(*input, KeyName(name + "-chunk"), t, chunk);
    if (input->npartitions == 0) {  // nothing to combine: the final merge of no results
      return b.add_layer(KeyName(name), t, 1, std::make_shared<CombineLayer>(combine, true),
                         [](std::span<const std::int64_t>, std::vector<NodeId>&) {});
    }
    return b.add_merge_tree(chunks, input->npartitions, name, t,
                            [&](bool final) { return std::make_shared<CombineLayer>(combine, final); });
  };
  auto e = new_bag(1, op, t);
  e->nodes = nodes_of(std::move(build));
  return e;
}

BagPtr exchange(const BagPtr& input, std::string_view op, std::uint64_t token, std::int64_t parts,
                SplitPartition split, FinishPart finish) {
  if (parts < 1) throw InputError(std::string(op).append(": the number of partitions must be at least 1"));
  const std::uint64_t t = mixed(input->token, op, token);
  const std::string name(op);
  auto build = [input, name, t, parts, split = std::move(split), finish = std::move(finish)](Builder& b) {
    auto send = [split, parts](const Value& v, std::int64_t) { return Value::of(split(v, parts)); };
    const NodeId senders = b.add_partitions(*input, KeyName(name + "-split"), t, send);
    const NodeId ex = b.add_exchange(KeyName(name + "-exchange"), t, senders, input->npartitions, parts);
    const NodeId first = b.add_layer(KeyName(name), t, parts, std::make_shared<ReadPart>(finish),
                                     [&](std::span<const std::int64_t>, std::vector<NodeId>& deps) { deps.push_back(ex); });
    for (std::int64_t j = 0; j < parts; ++j) b.graph().reads_exchange_part(first + static_cast<NodeId>(j), j);
    return first;
  };
  auto e = new_bag(parts, op, t);
  e->nodes = nodes_of(std::move(build));
  return e;
}

void partition_count_mismatch(std::string_view op, std::int64_t a, std::int64_t b) {
  throw InputError(std::string(op).append(": the bags have ").append(std::to_string(a)).append(" and ").append(
      std::to_string(b)).append(" partitions; they must be partitioned alike"));
}

BagPtr zip(const BagPtr& a, const BagPtr& b, std::uint64_t token, ZipPartitions f) {
  if (a->npartitions != b->npartitions) partition_count_mismatch("zip", a->npartitions, b->npartitions);
  const std::uint64_t t = mixed(mixed(a->token, "zip", token), "zip", b->token);
  auto build = [a, b, t, f = std::move(f)](Builder& builder) {
    const NodeId first_a = builder.add_partitions(*a, a->name, a->token, nullptr);
    const NodeId first_b = builder.add_partitions(*b, b->name, b->token, nullptr);
    return builder.add_layer(KeyName("zip"), t, a->npartitions, std::make_shared<ZipLayer>(f),
                             [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
                               deps.push_back(first_a + static_cast<NodeId>(block[0]));
                               deps.push_back(first_b + static_cast<NodeId>(block[0]));
                             });
  };
  auto e = new_bag(a->npartitions, "zip", t);
  e->nodes = nodes_of(std::move(build));
  return e;
}

namespace {
class SameValue final : public Layer {
 public:
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override { return *inputs[0]; }
};
}  // namespace

BagPtr from_graph(std::shared_ptr<const Graph> graph, std::vector<NodeId> outputs, std::uint64_t token) {
  auto e = new_bag(static_cast<std::int64_t>(outputs.size()), "from-delayed", token);
  e->nodes = nodes_of([graph, outputs, token](Builder& b) {
    // The delayed graph's nodes, then one task per partition that hands its value on (consecutive ids).
    const std::vector<NodeId> new_id = b.add_graph(*graph);
    return b.add_layer(KeyName("from-delayed-parts"), token, static_cast<std::int64_t>(outputs.size()),
                       std::make_shared<SameValue>(), [&](std::span<const std::int64_t> block, std::vector<NodeId>& d) {
                         d.push_back(new_id[outputs[static_cast<std::size_t>(block[0])]]);
                       });
  });
  return e;
}

const Graph& graph_of(const BagExpr& e) {
  std::call_once(e.graph_once, [&] {
    Builder b;
    const NodeId first = b.add_partitions(e, e.name, e.token, nullptr);
    Graph g = b.take();
    for (std::int64_t i = 0; i < e.npartitions; ++i) e.output_keys.push_back(g.node(first + static_cast<NodeId>(i)).key);
    e.graph = std::make_shared<const Graph>(std::move(g));
  });
  return *e.graph;
}

std::span<const Key> output_keys_of(const BagExpr& e) {
  graph_of(e);
  return e.output_keys;
}

BagPtr from_persisted(const BagExpr& like, std::vector<PersistedResult> partitions) {
  auto e = new_bag(static_cast<std::int64_t>(partitions.size()), like.name.str(), like.token);
  const KeyName name = like.name;
  const std::uint64_t token = like.token;
  e->nodes = nodes_of([name, token, parts = std::move(partitions)](Builder& b) {
    NodeId first = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::int64_t index[1] = {static_cast<std::int64_t>(i)};
      const NodeId id = b.graph().add_persisted(Key(name, token, index), parts[i].value, parts[i].holder, parts[i].nbytes);
      if (i == 0) first = id;
    }
    b.remember(name, token, first);  // the bag's own layer is these nodes
    return first;
  });
  return e;
}

}  // namespace tessera::bag::detail
