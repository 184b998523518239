#include "memory/persisted_store.hpp"

#include <tessera/size.hpp>

#include <algorithm>

namespace tessera {
namespace detail {

// Nobody can be spilling or reading it back: both hold a handle meanwhile.
PersistedEntry::~PersistedEntry() {
  if (state == State::resident) memory::Budget::instance().sub(nbytes);
  if (file) memory::remove_spilled(*file);
}

}  // namespace detail

namespace memory {

PersistedStore::PersistedStore() { Budget::instance().add_spiller(this); }

PersistedStore& PersistedStore::instance() {
  // Never destroyed, like the budget: PersistedValues may outlive statics.
  static PersistedStore* store = new PersistedStore();
  return *store;
}

PersistedStore::EntryPtr PersistedStore::hold(Value value, std::string name) {
  if (!value) return nullptr;
  const bool can_spill = spillable(value);
  // Not make_shared: a candidate's weak handle would keep the whole entry's memory.
  EntryPtr entry(new Entry(std::move(value), std::move(name), can_spill));
  entry->last_use = tick();
  auto& budget = Budget::instance();
  budget.add(entry->nbytes);
  if (can_spill) {
    add_candidate(entry);
    if (entry->nbytes > budget.limit()) {
      budget.warn("persisted result " + entry->name + " is " + format_size(entry->nbytes) +
                  ", more than this rank's memory limit of " + format_size(budget.limit()) +
                  "; it is kept on disk while no task uses it");
    }
  }
  if (budget.excess() > 0) make_room();
  return entry;
}

Value PersistedStore::get(const EntryPtr& entry) {
  std::unique_lock lock(entry->mutex);
  for (;;) {
    switch (entry->state) {
      case Entry::State::resident:
      case Entry::State::evicting:  // still in memory; the spill sees this handle and keeps it
        entry->last_use = tick();
        return entry->value;
      case Entry::State::loading: entry->changed.wait(lock); break;
      case Entry::State::spilled: return read_back(entry, lock);
    }
  }
}

// Persisted values first, then every other spiller's results, one at a time.
void PersistedStore::make_room() {
  spill_until_under_target();
  auto& budget = Budget::instance();
  if (budget.excess() > 0) budget.make_room();
}

void PersistedStore::add_candidate(const EntryPtr& entry) {
  std::lock_guard lock(candidates_mutex_);
  candidates_.push_back(entry);
  if (candidates_.size() < prune_at_) return;
  // Entries come and go without pressure, and so without claims: drop the gone ones.
  std::erase_if(candidates_, [](const std::weak_ptr<Entry>& e) { return e.expired(); });
  prune_at_ = std::max<std::size_t>(64, 2 * candidates_.size());
}

void PersistedStore::spill_until_under_target() {
  std::lock_guard one_spiller(spill_mutex_);
  spill_claimed([this](std::uint64_t bytes) { return claim_victims(bytes); },
                [this](const EntryPtr& entry) { spill(entry); }, [this](const EntryPtr& entry) { give_back(entry); });
}

// The least recently used spillable entries that only their own handle
// holds, adding up to at least `bytes`; they are marked `evicting`.
std::vector<PersistedStore::EntryPtr> PersistedStore::claim_victims(std::uint64_t bytes) {
  std::lock_guard lock(candidates_mutex_);
  std::vector<std::pair<std::uint32_t, EntryPtr>> by_age;
  by_age.reserve(candidates_.size());
  for (const auto& weak : candidates_) {
    if (EntryPtr entry = weak.lock()) {
      std::lock_guard entry_lock(entry->mutex);
      if (entry->state == Entry::State::resident) by_age.emplace_back(entry->last_use, std::move(entry));
    }
  }
  std::sort(by_age.begin(), by_age.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  by_age.erase(std::unique(by_age.begin(), by_age.end(),
                           [](const auto& a, const auto& b) { return a.second == b.second; }),
               by_age.end());
  std::sort(by_age.begin(), by_age.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<EntryPtr> victims;
  candidates_.clear();
  std::uint64_t claimed = 0;
  for (auto& [age, entry] : by_age) {
    if (claimed < bytes) {
      std::lock_guard entry_lock(entry->mutex);
      if (entry->state == Entry::State::resident && entry->value.use_count() == 1) {
        entry->state = Entry::State::evicting;
        claimed += entry->nbytes;
        victims.push_back(entry);
        continue;
      }
    }
    candidates_.push_back(entry);
  }
  return victims;
}

void PersistedStore::spill(const EntryPtr& entry) {
  Value value;
  bool on_disk = false;
  {
    std::lock_guard lock(entry->mutex);
    value = entry->value;
    on_disk = entry->file.has_value();
  }
  if (!on_disk) {
    SpilledValue file;
    try {
      file = spill_value(value, entry->name);
    } catch (...) {
      give_back(entry);
      throw;
    }
    std::lock_guard lock(entry->mutex);
    entry->file = file;
  }
  bool freed = false;
  {
    std::lock_guard lock(entry->mutex);
    if (value.use_count() > 2) {  // someone took it while it was written: keep it, the file stays
      entry->state = Entry::State::resident;
    } else {
      entry->value = Value();
      entry->state = Entry::State::spilled;
      freed = true;
    }
    entry->changed.notify_all();
  }
  value = Value();
  if (freed) {
    Budget::instance().sub(entry->nbytes);
  } else {
    add_candidate(entry);
  }
}

// Claimed for spilling and not spilled: resident again.
void PersistedStore::give_back(const EntryPtr& entry) {
  std::lock_guard lock(entry->mutex);
  entry->state = Entry::State::resident;
  entry->changed.notify_all();
}

// Called with the entry's lock held and the entry `spilled`; returns with it released.
Value PersistedStore::read_back(const EntryPtr& entry, std::unique_lock<std::mutex>& lock) {
  entry->state = Entry::State::loading;
  lock.unlock();
  auto& budget = Budget::instance();
  budget.add(entry->nbytes);  // counted from the moment its memory is taken
  Value value;
  try {
    value = read_spilled(*entry->file, entry->name);
  } catch (...) {
    budget.sub(entry->nbytes);
    lock.lock();
    entry->state = Entry::State::spilled;
    entry->changed.notify_all();
    lock.unlock();
    throw;
  }
  lock.lock();
  entry->value = value;
  entry->state = Entry::State::resident;
  entry->last_use = tick();
  entry->changed.notify_all();
  lock.unlock();
  add_candidate(entry);
  if (budget.excess() > 0) make_room();
  return value;
}

}  // namespace memory

PersistedValue::PersistedValue(Value value, std::string name)
    : entry_(memory::PersistedStore::instance().hold(std::move(value),
                                                     name.empty() ? std::string("a persisted result") : std::move(name))) {}

Value PersistedValue::get() const { return entry_ ? memory::PersistedStore::instance().get(entry_) : Value(); }

std::uint64_t PersistedValue::nbytes() const noexcept { return entry_ ? entry_->nbytes : 0; }

bool PersistedValue::spilled() const {
  if (!entry_) return false;
  std::lock_guard lock(entry_->mutex);
  return entry_->state == detail::PersistedEntry::State::spilled;
}

}  // namespace tessera
