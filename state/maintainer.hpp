// Runs Store::maintain() on a Boost.Asio timer in its own thread: LMDB sync
// (which bounds what an OS crash can lose) and the retention sweep.
#pragma once

#include <chrono>
#include <memory>

#include "state/store.hpp"

namespace pushback::state {

class Maintainer {
 public:
  // Starts at once; the first run comes after one interval. With
  // `daily_snapshots`, the first run of each UTC day also takes the day's
  // snapshots (state/decision_snapshots.hpp).
  Maintainer(Store& store, std::chrono::milliseconds interval, bool daily_snapshots = false);
  // Stops the timer and runs maintain() one last time.
  ~Maintainer();
  Maintainer(const Maintainer&) = delete;
  Maintainer& operator=(const Maintainer&) = delete;

  std::uint64_t runs() const;  // completed maintain() calls, for tests and metrics

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pushback::state
