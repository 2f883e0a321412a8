// Moves the milter's daily tally (and its outreach per recipient) into the store on a thread of its own, every
// interval and once more when stopped, so the per-message cost stays one
// atomic add. Counts the store could not take are added back to the next
// flush, kept for at most a day's worth of retries.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "state/daily_counts.hpp"
#include "state/store.hpp"
#include "state/targeted_staff.hpp"

namespace pushback::state {

class DailyFlusher {
 public:
  DailyFlusher(Store& store, DailyTally& tally, std::chrono::milliseconds interval, TargetTally* targets = nullptr);
  ~DailyFlusher();  // flushes one last time
  DailyFlusher(const DailyFlusher&) = delete;
  DailyFlusher& operator=(const DailyFlusher&) = delete;

  void flush();

 private:
  void loop();
  void flush_targets();  // with mutex_ held

  Store& store_;
  DailyTally& tally_;
  TargetTally* targets_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::vector<DayCounts> pending_;  // not yet taken by the store
  std::vector<DayTargets> pending_targets_;
  std::thread thread_;
};

}  // namespace pushback::state
