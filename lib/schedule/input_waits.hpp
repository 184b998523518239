#pragma once
// Tasks assigned to this rank whose inputs are still on their way (rank 0
// asked their holders to push them): each counts the inputs it lacks, and an
// arriving input readies the tasks that lacked only it. Used by the
// distributed scheduler and the futures service alike; one thread only.
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tessera::schedule {

template <class Id>
class InputWaits {
 public:
  /// `task` cannot run before `input` arrives.
  void wait(Id task, Id input) {
    waiting_for_[input].push_back(task);
    ++missing_[task];
  }

  /// `input` arrived: ready(task) for every task that now has all its inputs.
  template <class Ready>
  void arrived(Id input, Ready&& ready) {
    auto it = waiting_for_.find(input);
    if (it == waiting_for_.end()) return;
    for (Id task : it->second) {
      if (--missing_[task] == 0) {
        missing_.erase(task);
        ready(task);
      }
    }
    waiting_for_.erase(it);
  }

 private:
  std::unordered_map<Id, std::vector<Id>> waiting_for_;  // input -> tasks waiting for it
  std::unordered_map<Id, std::uint32_t> missing_;        // task -> inputs still to arrive
};

}  // namespace tessera::schedule
