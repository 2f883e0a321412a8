// The store's rankings, recomputed on a thread of their own: ranking walks
// every sender, pair and campaign, far too slow for a page view on a large
// store, so pages read the last result (copied under the lock).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "state/store.hpp"

namespace pushback::web {

struct CachedTop {
  state::TopReport report;
  std::int64_t computed_at = 0;  // seconds since the epoch; 0: not yet
  std::chrono::milliseconds took{0};
};

class TopCache {
 public:
  // `compute` runs at once and then again after `interval`, or after 20
  // times its last run when that is longer: a large store is ranked less
  // often, so the ranking never takes more than 5% of a core.
  TopCache(std::function<state::TopReport()> compute, std::chrono::seconds interval);
  ~TopCache();
  TopCache(const TopCache&) = delete;
  TopCache& operator=(const TopCache&) = delete;

  CachedTop get() const;
  // Waits up to `timeout` for the first result (the first page after start).
  CachedTop wait_first(std::chrono::milliseconds timeout) const;

 private:
  void loop();

  std::function<state::TopReport()> compute_;
  std::chrono::seconds interval_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  CachedTop current_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pushback::web
