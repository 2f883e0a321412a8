// The flush thread of the daily counts.
#include "state/daily_flusher.hpp"

#include <algorithm>

namespace pushback::state {

DailyFlusher::DailyFlusher(Store& store, DailyTally& tally, std::chrono::milliseconds interval, TargetTally* targets)
    : store_(store), tally_(tally), targets_(targets), interval_(std::max(interval, std::chrono::milliseconds(100))),
      thread_([this] { loop(); }) {}

DailyFlusher::~DailyFlusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
  flush();
}

void DailyFlusher::flush() {
  std::lock_guard lock(mutex_);
  flush_targets();
  for (auto& day : tally_.drain()) {
    auto same = std::find_if(pending_.begin(), pending_.end(), [&](const DayCounts& d) { return d.day == day.day; });
    if (same == pending_.end()) {
      pending_.push_back(day);
    } else {
      for (std::size_t i = 0; i < daily_event_count; ++i) same->counts[i] += day.counts[i];
    }
  }
  if (pending_.empty()) return;
  if (store_.add_daily_counts(pending_)) {
    pending_.clear();
    return;
  }
  // A store that stays down: keep the two newest days only, so memory stays bounded.
  std::sort(pending_.begin(), pending_.end(), [](const DayCounts& a, const DayCounts& b) { return a.day > b.day; });
  if (pending_.size() > 2) pending_.resize(2);
}

void DailyFlusher::flush_targets() {
  if (!targets_) return;
  for (auto& day : targets_->drain()) {
    auto same = std::find_if(pending_targets_.begin(), pending_targets_.end(),
                             [&](const DayTargets& d) { return d.day == day.day; });
    if (same == pending_targets_.end()) {
      pending_targets_.push_back(std::move(day));
    } else {
      for (const auto& [recipient, count] : day.recipients) {
        if (same->recipients.size() < TargetTally::recipients_per_day || same->recipients.contains(recipient)) {
          same->recipients[recipient] += count;
        }
      }
    }
  }
  if (pending_targets_.empty() || store_.add_targets(pending_targets_)) {
    pending_targets_.clear();
    return;
  }
  std::sort(pending_targets_.begin(), pending_targets_.end(),
            [](const DayTargets& a, const DayTargets& b) { return a.day > b.day; });
  if (pending_targets_.size() > 2) pending_targets_.resize(2);
}

void DailyFlusher::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace pushback::state
