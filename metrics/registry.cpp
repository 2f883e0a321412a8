// Prometheus text exposition of the metric types.
#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pushback::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto slot = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  buckets_[slot].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Histogram::render(const std::string& name, const std::string& labels) const {
  std::string out;
  std::string prefix = labels.empty() ? "" : labels + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix, bounds_[i], cumulative);
  }
  cumulative += buckets_[bounds_.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, prefix, cumulative);
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_micros_.load()) / 1e6);
  out += fmt::format("{}_count{} {}\n", name, braces, count_.load());
  return out;
}

Counter& CounterFamily::with(const std::vector<std::string>& values) {
  std::string key;
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const std::string value = i < values.size() ? values[i] : std::string();
    key += fmt::format("{}{}=\"{}\"", i ? "," : "", labels_[i], escape_label(value));
  }
  std::lock_guard lock(mutex_);
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= max_series_) {
      key.clear();
      for (std::size_t i = 0; i < labels_.size(); ++i) key += fmt::format("{}{}=\"other\"", i ? "," : "", labels_[i]);
    }
    it = series_.try_emplace(key, std::make_unique<Counter>()).first;
  }
  return *it->second;
}

std::string CounterFamily::render(const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [labels, counter] : series_) out += fmt::format("{}{{{}}} {}\n", name, labels, counter->value());
  return out;
}

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

}  // namespace pushback::metrics
