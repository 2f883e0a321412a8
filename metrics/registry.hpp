// Counters, gauges and histograms for the Prometheus text exposition format.
// Updates are relaxed atomics; a labelled series is found under a short mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pushback::metrics {

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Fixed upper bounds in seconds, cumulative on output as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  std::string render(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, plus +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

// A counter per combination of label values, e.g. messages by direction and verdict.
class CounterFamily {
 public:
  CounterFamily(std::vector<std::string> labels, std::size_t max_series)
      : labels_(std::move(labels)), max_series_(max_series) {}
  // Combinations beyond max_series are counted under "other", so hostile input
  // cannot grow the registry without bound.
  Counter& with(const std::vector<std::string>& values);
  std::string render(const std::string& name) const;

 private:
  std::vector<std::string> labels_;
  std::size_t max_series_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Counter>> series_;
};

// Escapes a label value for the exposition format.
std::string escape_label(const std::string& value);

}  // namespace pushback::metrics
