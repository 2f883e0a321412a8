// The time source of the state library. Windows, expiry and the maintenance
// sweep read the time only through a Clock, so tests and replay can drive it.
#pragma once

#include <atomic>
#include <chrono>

namespace pushback::state {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to; safe to read from several threads.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{std::chrono::hours(24 * 20000)}) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{TimePoint::duration{now_.load()}}; }
  void set(TimePoint when) { now_.store(when.time_since_epoch().count()); }
  void advance(std::chrono::system_clock::duration by) { now_.fetch_add(by.count()); }

 private:
  std::atomic<TimePoint::rep> now_;
};

}  // namespace pushback::state
