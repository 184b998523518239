#include "schedule/result_store.hpp"

#include <tessera/size.hpp>

#include "memory/budget.hpp"

#include <algorithm>

namespace tessera::schedule {

using memory::Budget;

ResultStore::ResultStore(const Graph& graph)
    : graph_(graph), slots_(graph.size()), stripes_(std::make_unique<Stripe[]>(stripes)) {
  Budget::instance().add_spiller(this);
}

ResultStore::~ResultStore() {
  // Runs are over: no I/O is under way; once removed, make_room() cannot start one.
  auto& budget = Budget::instance();
  budget.remove_spiller(this);
  std::uint64_t resident = 0;
  for (const Slot& slot : slots_) {
    if (slot.state == State::resident) resident += slot.nbytes;
  }
  budget.sub(resident);
  for (auto& [id, spilled] : files_) memory::remove_spilled(spilled);
}

std::string ResultStore::name(NodeId id) const { return graph_.node(id).key.str(); }

void ResultStore::count_live(std::ptrdiff_t results, std::int64_t bytes) {
  const auto now = live_.fetch_add(results, std::memory_order_relaxed) + results;
  const auto now_bytes = live_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (results <= 0) return;
  memory::raise_peak(peak_live_, static_cast<std::size_t>(now));
  memory::raise_peak(peak_bytes_, static_cast<std::uint64_t>(now_bytes));
}

void ResultStore::put(NodeId id, Value value, bool spillable) {
  const std::uint64_t nbytes = value.nbytes();
  spillable = spillable && memory::spillable(value);
  {
    Stripe& s = stripe(id);
    std::lock_guard lock(s.mutex);
    Slot& slot = slots_[id];
    if (slot.state != State::empty) return;  // held already (an output that also came inline)
    slot.value = std::move(value);
    slot.nbytes = nbytes;
    slot.state = State::resident;
    slot.spillable = spillable;
    slot.on_disk = slot.erased = false;
    slot.last_use = clock_.fetch_add(1, std::memory_order_relaxed);
  }
  auto& budget = Budget::instance();
  budget.add(nbytes);
  count_live(1, static_cast<std::int64_t>(nbytes));
  if (spillable) {
    add_candidate(id);
    if (nbytes > budget.limit()) {
      budget.warn("result " + name(id) + " is " + format_size(nbytes) + ", more than this rank's memory limit of " +
                  format_size(budget.limit()) + "; it is kept on disk while no task uses it");
    }
  }
  if (budget.excess() > 0) make_room();  // an unspillable one too: others (persisted values) may go
}

// This store's results first, then every other spiller's (persisted values,
// other runs): one at a time, so that no spiller waits for another while it
// holds its own spill lock.
void ResultStore::make_room() {
  spill_until_under_target();
  auto& budget = Budget::instance();
  if (budget.excess() > 0) budget.make_room();
}

void ResultStore::put_persisted(NodeId id, PersistedValue value) {
  const std::uint64_t nbytes = value.nbytes();
  {
    std::lock_guard lock(stripe(id).mutex);
    Slot& slot = slots_[id];
    if (slot.state != State::empty) return;
    slot.persisted = std::move(value);
    slot.nbytes = nbytes;
    slot.state = State::persisted;
    slot.on_disk = slot.erased = false;
  }
  count_live(1, static_cast<std::int64_t>(nbytes));
}

PersistedValue ResultStore::persisted(NodeId id) {
  {
    std::lock_guard lock(stripe(id).mutex);
    if (slots_[id].state == State::persisted) return slots_[id].persisted;
  }
  return PersistedValue(get(id), name(id));
}

Value ResultStore::get(NodeId id) {
  Stripe& s = stripe(id);
  std::unique_lock lock(s.mutex);
  for (;;) {
    Slot& slot = slots_[id];
    switch (slot.state) {
      case State::resident:
      case State::evicting:  // still in memory; the spill sees this handle and keeps it
        slot.last_use = clock_.fetch_add(1, std::memory_order_relaxed);
        return slot.value;
      case State::loading: s.changed.wait(lock); break;
      case State::spilled: return read_back(id, lock);
      case State::persisted: {  // read back (outside this lock) by its own store if it was spilled
        const PersistedValue persisted = slot.persisted;
        lock.unlock();
        return persisted.get();
      }
      case State::empty:
        throw_error(ErrorKind::generic, "result " + name(id) + " is not held on rank " +
                                            std::to_string(Budget::instance().rank()) +
                                            " (scheduler bookkeeping error)");
    }
  }
}

bool ResultStore::has(NodeId id) const {
  std::lock_guard lock(stripe(id).mutex);
  return slots_[id].state != State::empty && !slots_[id].erased;
}

std::uint64_t ResultStore::nbytes(NodeId id) const {
  std::lock_guard lock(stripe(id).mutex);
  return slots_[id].nbytes;
}

void ResultStore::erase(NodeId id) {
  std::uint64_t freed = 0, nbytes = 0;
  bool drop = false;
  PersistedValue persisted;  // let go of outside the lock
  {
    std::lock_guard lock(stripe(id).mutex);
    Slot& slot = slots_[id];
    nbytes = slot.nbytes;
    switch (slot.state) {
      case State::empty: return;
      case State::resident:
        freed = slot.nbytes;
        drop = slot.on_disk;
        slot = Slot{};
        break;
      case State::spilled:
        drop = true;
        slot = Slot{};
        break;
      case State::persisted:
        persisted = std::move(slot.persisted);
        slot = Slot{};
        break;
      case State::evicting:
      case State::loading:
        if (slot.erased) return;
        slot.erased = true;  // the spill or read-back under way frees it
        break;
    }
  }
  count_live(-1, -static_cast<std::int64_t>(nbytes));
  if (freed) Budget::instance().sub(freed);
  if (drop) drop_file(id);
}

void ResultStore::drop_file(NodeId id) {
  std::lock_guard lock(files_mutex_);
  auto it = files_.find(id);
  if (it == files_.end()) return;
  memory::remove_spilled(it->second);
  files_.erase(it);
}

void ResultStore::add_candidate(NodeId id) {
  std::lock_guard lock(candidates_mutex_);
  candidates_.push_back(id);
}

void ResultStore::spill_until_under_target() {
  std::lock_guard one_spiller(spill_mutex_);
  memory::spill_claimed([this](std::uint64_t bytes) { return claim_victims(bytes); },
                        [this](NodeId id) { spill(id); }, [this](NodeId id) { give_back(id); });
}

// A result claimed for spilling that was not spilled: resident again, or
// freed if it was erased meanwhile.
void ResultStore::give_back(NodeId id) {
  Stripe& s = stripe(id);
  std::lock_guard lock(s.mutex);
  Slot& slot = slots_[id];
  if (slot.erased) {
    Budget::instance().sub(slot.nbytes);
    slot = Slot{};
  } else {
    slot.state = State::resident;
  }
  s.changed.notify_all();
}

// The least recently used spillable results that only this store holds,
// adding up to at least `bytes`; they are marked `evicting`.
std::vector<NodeId> ResultStore::claim_victims(std::uint64_t bytes) {
  std::lock_guard lock(candidates_mutex_);
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  std::vector<std::pair<std::uint32_t, NodeId>> by_age;
  by_age.reserve(candidates_.size());
  for (NodeId id : candidates_) {
    std::lock_guard slot_lock(stripe(id).mutex);
    if (slots_[id].state == State::resident && !slots_[id].erased) by_age.emplace_back(slots_[id].last_use, id);
  }
  std::sort(by_age.begin(), by_age.end());
  std::vector<NodeId> victims;
  candidates_.clear();
  std::uint64_t claimed = 0;
  for (const auto& [age, id] : by_age) {
    if (claimed < bytes) {
      std::lock_guard slot_lock(stripe(id).mutex);
      Slot& slot = slots_[id];
      if (slot.state == State::resident && slot.value.use_count() == 1) {
        slot.state = State::evicting;
        victims.push_back(id);
        claimed += slot.nbytes;
        continue;
      }
    }
    candidates_.push_back(id);
  }
  return victims;
}

void ResultStore::spill(NodeId id) {
  Stripe& s = stripe(id);
  Value value;
  bool on_disk = false;
  std::uint64_t nbytes = 0;
  {
    std::lock_guard lock(s.mutex);
    value = slots_[id].value;
    on_disk = slots_[id].on_disk;
    nbytes = slots_[id].nbytes;
  }
  auto& budget = Budget::instance();
  if (!on_disk) {
    memory::SpilledValue spilled;
    try {
      spilled = memory::spill_value(value, name(id));
    } catch (...) {
      give_back(id);
      throw;
    }
    {
      std::lock_guard lock(files_mutex_);
      files_[id] = spilled;
    }
    spilled_.fetch_add(spilled.file.raw_bytes, std::memory_order_relaxed);
  }
  bool freed = false, erased = false, keep_candidate = false;
  {
    std::lock_guard lock(s.mutex);
    Slot& slot = slots_[id];
    if (slot.erased) {
      slot = Slot{};
      freed = erased = true;
    } else if (value.use_count() > 2) {  // a task took it while it was written: keep it, the file stays
      slot.state = State::resident;
      slot.on_disk = true;
      keep_candidate = true;
    } else {
      slot.value = Value();
      slot.state = State::spilled;
      slot.on_disk = true;
      freed = true;
    }
    s.changed.notify_all();
  }
  value = Value();
  if (freed) budget.sub(nbytes);
  if (erased) drop_file(id);
  if (keep_candidate) add_candidate(id);
}

// Called with the slot's lock held and the slot `spilled`; returns with it released.
Value ResultStore::read_back(NodeId id, std::unique_lock<std::mutex>& lock) {
  Slot& slot = slots_[id];
  slot.state = State::loading;
  const std::uint64_t nbytes = slot.nbytes;
  lock.unlock();
  memory::SpilledValue record;
  {
    std::lock_guard files_lock(files_mutex_);
    record = files_.at(id);
  }
  auto& budget = Budget::instance();
  budget.add(nbytes);  // counted from the moment its memory is taken
  Value value;
  try {
    value = memory::read_spilled(record, name(id));
  } catch (...) {
    budget.sub(nbytes);
    bool drop = false;
    {
      std::lock_guard relock(stripe(id).mutex);
      if (slot.erased) {
        slot = Slot{};
        drop = true;
      } else {
        slot.state = State::spilled;
      }
      stripe(id).changed.notify_all();
    }
    if (drop) drop_file(id);
    throw;
  }
  unspilled_.fetch_add(record.file.raw_bytes, std::memory_order_relaxed);
  lock.lock();
  const bool erased = slot.erased;
  if (erased) {
    slot = Slot{};
  } else {
    slot.value = value;
    slot.state = State::resident;
    slot.last_use = clock_.fetch_add(1, std::memory_order_relaxed);
  }
  const bool spillable = slot.spillable;
  stripe(id).changed.notify_all();
  lock.unlock();
  if (erased) {
    budget.sub(nbytes);
    drop_file(id);
    return value;
  }
  if (spillable) add_candidate(id);
  if (budget.excess() > 0) make_room();
  return value;
}

}  // namespace tessera::schedule
