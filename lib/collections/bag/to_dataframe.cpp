// Bag<Json> -> DataFrame: each partition's records become a Table with the
// given columns (or the keys of the first record, typed by its values). The
// bag's graph is copied into the frame's, and one task per partition makes
// the table from the bag's partition.
#include <tessera/bag.hpp>
#include <tessera/dataframe.hpp>
#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include "collections/dataframe/frame_expr.hpp"

namespace tessera::bag {
namespace {

namespace dfd = tessera::dataframe::detail;

ColumnType type_of(const Json& v) {
  switch (v.type()) {
    case JsonType::boolean: return ColumnType::bool_;
    case JsonType::int64: return ColumnType::int64;
    case JsonType::float64: return ColumnType::float64;
    default: return ColumnType::string;  // text, and nested values as their JSON text
  }
}

void append(ColumnBuilder& b, ColumnType type, const Json* v, const std::string& name) {
  if (!v || v->is_null()) return b.append_null();
  switch (type) {
    case ColumnType::int64:
      if (!v->is_int64()) throw TypeError("to_dataframe: column '" + name + "' is int64 but a record holds " + v->dump());
      return b.append(v->as_int64());
    case ColumnType::float64: return b.append(v->as_double());
    case ColumnType::bool_: return b.append(v->as_bool());
    default: return b.append(v->is_string() ? std::string(v->as_string()) : v->dump());
  }
}

class RecordsToTable final : public Layer {
 public:
  explicit RecordsToTable(dfd::Schema schema) : schema_(std::move(schema)) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    const auto& records = inputs[0]->get<std::vector<Json>>();
    std::vector<ColumnBuilder> builders;
    for (ColumnType t : schema_.types) builders.emplace_back(t);
    for (const Json& r : records) {
      for (std::size_t c = 0; c < builders.size(); ++c) {
        append(builders[c], schema_.types[c], r.is_object() ? r.find(schema_.names[c]) : nullptr, schema_.names[c]);
      }
    }
    std::vector<Column> columns;
    for (auto& b : builders) columns.push_back(b.finish());
    return Value::of(Table(schema_.names, std::move(columns)));
  }

 private:
  dfd::Schema schema_;
};

class BagPartitions final : public dfd::NodeSource {
 public:
  BagPartitions(Bag<Json> bag, dfd::Schema schema, std::uint64_t token)
      : bag_(std::move(bag)), schema_(std::move(schema)), token_(token) {}
  NodeId build(dfd::GraphBuilder& builder) const override {
    const Graph& g = bag_.graph();
    const std::vector<NodeId> new_id = builder.add_graph(g);
    std::vector<NodeId> parts;
    for (const Key& k : bag_.output_keys()) parts.push_back(new_id[g.find(k)]);
    return builder.add_layer(KeyName("to-dataframe"), token_, static_cast<std::int64_t>(parts.size()),
                             std::make_shared<RecordsToTable>(schema_),
                             [&](std::span<const std::int64_t> block, std::vector<NodeId>& d) {
                               d.push_back(parts[static_cast<std::size_t>(block[0])]);
                             });
  }

 private:
  Bag<Json> bag_;
  dfd::Schema schema_;
  std::uint64_t token_;
};

}  // namespace

dataframe::DataFrame to_dataframe(const Bag<Json>& records, const std::vector<std::pair<std::string, ColumnType>>& columns) {
  dfd::Schema schema;
  if (columns.empty()) {  // Dask's way: the first record says (computes the first non-empty partition)
    const std::vector<Json> first = records.take(1, -1);
    if (first.empty() || !first[0].is_object()) {
      throw InputError("to_dataframe: give the columns; the bag has no record to take them from");
    }
    for (const auto& [key, value] : first[0].members()) {
      schema.names.push_back(key);
      schema.types.push_back(type_of(value));
    }
  } else {
    for (const auto& [name, type] : columns) {
      if (type == ColumnType::timestamp || type == ColumnType::categorical) {
        throw InputError("to_dataframe: column '" + name + "' can be int64, float64, bool or object (string)");
      }
      schema.names.push_back(name);
      schema.types.push_back(type);
    }
  }
  TokenHasher h;
  h.mix(records.token());
  for (std::size_t c = 0; c < schema.names.size(); ++c) {
    h.add(schema.names[c]);
    h.add(static_cast<int>(schema.types[c]));
  }
  const std::uint64_t token = h.value();
  const auto n = records.npartitions();
  auto source = std::make_shared<BagPartitions>(records, schema, token);
  return dataframe::DataFrame(dfd::from_nodes(std::move(schema), n, "to-dataframe", token, std::move(source)));
}

}  // namespace tessera::bag
