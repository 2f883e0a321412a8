// A value recomputed on a thread of its own: the store's rankings walk every
// sender, pair and campaign, and listing the hold queue runs the MTA's tools
// once per message; both are far too slow for a page view, so pages read the
// last result (copied under the lock) and say how old it is.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <thread>

namespace pushback::web {

template <typename T>
struct Computed {
  T value{};
  std::int64_t computed_at = 0;  // seconds since the epoch; 0: not yet
  std::chrono::milliseconds took{0};
};

template <typename T>
class BackgroundValue {
 public:
  // `compute` runs at once and then again after `interval`, or after 20
  // times its last run when that is longer: a large store is ranked less
  // often, so the work never takes more than 5% of a core.
  BackgroundValue(std::function<T()> compute, std::chrono::seconds interval)
      : compute_(std::move(compute)), interval_(interval), thread_([this] { loop(); }) {}

  ~BackgroundValue() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  BackgroundValue(const BackgroundValue&) = delete;
  BackgroundValue& operator=(const BackgroundValue&) = delete;

  // The last result; waits up to `timeout` for the first one (the first page after start).
  Computed<T> get(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return current_.computed_at != 0; });
    return current_;
  }

 private:
  void loop() {
    for (;;) {
      auto started = std::chrono::steady_clock::now();
      T value = compute_();  // outside the lock: pages keep reading the previous result
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      std::unique_lock lock(mutex_);
      current_ = {std::move(value), static_cast<std::int64_t>(std::time(nullptr)), took};
      changed_.notify_all();
      auto pause = std::max<std::chrono::milliseconds>(interval_, took * 20);
      if (changed_.wait_for(lock, pause, [this] { return stopping_; })) return;
    }
  }

  std::function<T()> compute_;
  std::chrono::seconds interval_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Computed<T> current_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace pushback::web
