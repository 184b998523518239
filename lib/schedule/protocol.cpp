#include "schedule/protocol.hpp"

#include "schedule/inline_value.hpp"

namespace tessera::schedule {

// Every batch starts with its count, so that a receiver can size it at once.

void AssignBatch::encode(ByteWriter& out) const {
  out.put(static_cast<std::uint32_t>(tasks.size()));
  for (NodeId task : tasks) out.put(task);
}

void AssignBatch::decode(ByteReader& in) {
  tasks.resize(in.get<std::uint32_t>());
  for (NodeId& task : tasks) task = in.get<NodeId>();
}

void PushBatch::encode(ByteWriter& out) const {
  out.put(static_cast<std::uint32_t>(pushes.size()));
  for (const Push& p : pushes) {
    out.put(p.node);
    out.put(static_cast<std::int32_t>(p.target));
  }
}

void PushBatch::decode(ByteReader& in) {
  pushes.resize(in.get<std::uint32_t>());
  for (Push& p : pushes) {
    p.node = in.get<NodeId>();
    p.target = in.get<std::int32_t>();
  }
}

void ReleaseBatch::encode(ByteWriter& out) const {
  out.put(static_cast<std::uint32_t>(nodes.size()));
  for (NodeId node : nodes) out.put(node);
}

void ReleaseBatch::decode(ByteReader& in) {
  nodes.resize(in.get<std::uint32_t>());
  for (NodeId& node : nodes) node = in.get<NodeId>();
}

void DoneBatch::encode(ByteWriter& out) const {
  out.put(static_cast<std::uint32_t>(tasks.size()));
  out.put(tracked_bytes);
  out.put(spilled_bytes);
  for (const Done& d : tasks) {
    out.put(d.node);
    out.put(d.nbytes);
    out.put(static_cast<std::uint8_t>(static_cast<bool>(d.output)));
    if (d.output) put_inline_value(out, d.output, inline_value_bytes);
  }
}

void DoneBatch::decode(ByteReader& in) {
  tasks.resize(in.get<std::uint32_t>());
  tracked_bytes = in.get<std::uint64_t>();
  spilled_bytes = in.get<std::uint64_t>();
  for (Done& d : tasks) {
    d.node = in.get<NodeId>();
    d.nbytes = in.get<std::uint64_t>();
    if (in.get<std::uint8_t>()) d.output = get_inline_value(in, &inline_bytes);
  }
}

void Finish::encode(ByteWriter& out) const {
  out.put(static_cast<std::uint32_t>(outputs.size()));
  for (const Output& o : outputs) {
    out.put(static_cast<std::int32_t>(o.holder));
    out.put(o.nbytes);
    out.put(static_cast<std::uint8_t>(static_cast<bool>(o.value)));
    if (o.value) put_inline_value(out, o.value, inline_value_bytes);
  }
  out.put(static_cast<std::uint8_t>(schedule_recorded));
  if (!schedule_recorded) return;
  out.put(static_cast<std::uint32_t>(placement.size()));
  for (int r : placement) out.put(static_cast<std::int32_t>(r));
  out.put(static_cast<std::uint32_t>(completed_order.size()));
  for (NodeId id : completed_order) out.put(id);
}

void Finish::decode(ByteReader& in) {
  outputs.resize(in.get<std::uint32_t>());
  for (Output& o : outputs) {
    o.holder = in.get<std::int32_t>();
    o.nbytes = in.get<std::uint64_t>();
    if (in.get<std::uint8_t>()) o.value = get_inline_value(in, &o.inline_bytes);
  }
  schedule_recorded = in.get<std::uint8_t>() != 0;
  if (!schedule_recorded) return;
  placement.resize(in.get<std::uint32_t>());
  for (int& r : placement) r = in.get<std::int32_t>();
  completed_order.resize(in.get<std::uint32_t>());
  for (NodeId& id : completed_order) id = in.get<NodeId>();
}

}  // namespace tessera::schedule
