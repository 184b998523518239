#pragma once
// The Bag's untyped core (lib/collections/bag/bag.cpp): a bag is a source of
// partitions (read with no inputs, or the values of graph nodes) and one
// composed per-partition transform, as a DataFrame is; whatever consumes it
// runs source, transform and its own step in one task per partition. A
// partition is a Value holding a std::vector<T>; bag.hpp wraps typed
// functions into these untyped ones.
#include <tessera/compute.hpp>
#include <tessera/exchange.hpp>
#include <tessera/graph.hpp>
#include <tessera/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace tessera::bag::detail {

struct BagExpr;
using BagPtr = std::shared_ptr<const BagExpr>;

/// Partition i of a source, made with no inputs (a text block, a slice of a sequence).
using ReadPartition = std::function<Value(std::int64_t partition)>;
/// A partition (or a partial result) made from another.
using TransformPartition = std::function<Value(const Value& input, std::int64_t partition)>;
/// Partial results merged: the last merge (`final`) gives the result's one partition.
using CombineValues = std::function<Value(std::vector<Value> parts, bool final)>;
/// A partition cut into pieces for the parts of an exchange.
using SplitPartition = std::function<Shards(const Value& partition, std::int64_t parts)>;
/// A part of an exchange made from its pieces, in partition order.
using FinishPart = std::function<Value(std::vector<Value> pieces, std::int64_t part)>;
/// Partition i of two bags made into one.
using ZipPartitions = std::function<Value(const Value& a, const Value& b, std::int64_t partition)>;

std::int64_t npartitions(const BagExpr& e);
std::uint64_t token_of(const BagExpr& e);
/// A token for an operation: its name, the function's type and this
/// process's count of operations so far (the same on every rank: the driver
/// is replicated); captures are not part of it, as in Delayed.
std::uint64_t op_token(std::string_view op, const std::type_info& function, std::uint64_t input_token);

BagPtr from_reader(std::int64_t npartitions, std::string_view op, std::uint64_t token, ReadPartition read);
/// A source that can read one field of each record instead of whole records
/// (read_json): given the field and a default (an empty Value: none), the bag of that field.
using FieldReader = std::function<BagPtr(const std::string& field, const Value& default_value)>;
BagPtr with_field_reader(BagPtr source, FieldReader reader);
/// The source's field reader, when the bag is that source untransformed; else empty.
FieldReader field_reader(const BagExpr& e);
/// A source of one field's values that can count them itself
/// (read_json(...).pluck(key)): the bag whose partition i is part i's
/// (value, count) pairs, in the order the values first appear, without a
/// record per line in between (frequencies() reads it).
using CountReader = std::function<BagPtr()>;
BagPtr with_count_reader(BagPtr source, CountReader reader);
/// The source's count reader, when the bag is that source untransformed; else empty.
CountReader count_reader(const BagExpr& e);
BagPtr derive(const BagPtr& input, std::string_view op, std::uint64_t token, TransformPartition f);
/// A one-partition bag: `chunk` on each partition, then `combine` on up to
/// eight results at a time, level by level, in partition order.
BagPtr reduce(const BagPtr& input, std::string_view op, std::uint64_t token, TransformPartition chunk,
              CombineValues combine);
/// A bag of `parts` partitions through the shuffle: each partition cut by
/// `split`, the pieces of part j (in partition order) made one by `finish`.
BagPtr exchange(const BagPtr& input, std::string_view op, std::uint64_t token, std::int64_t parts,
                SplitPartition split, FinishPart finish);
/// Partition i of a and b (equally partitioned) made into one by `f`.
BagPtr zip(const BagPtr& a, const BagPtr& b, std::uint64_t token, ZipPartitions f);

/// A bag whose partition i is the value of `graph`'s node `outputs[i]` (from_delayed).
BagPtr from_graph(std::shared_ptr<const Graph> graph, std::vector<NodeId> outputs, std::uint64_t token);

/// The graph of the bag computed as itself, and its partitions' keys.
const Graph& graph_of(const BagExpr& e);
std::span<const Key> output_keys_of(const BagExpr& e);
/// The bag over persisted partitions.
BagPtr from_persisted(const BagExpr& like, std::vector<PersistedResult> partitions);
/// Partition i's rows as a std::vector<T> Value is expected: an error naming the op otherwise.
[[noreturn]] void partition_count_mismatch(std::string_view op, std::int64_t a, std::int64_t b);

}  // namespace tessera::bag::detail
