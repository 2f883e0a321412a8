// Which staff outreach reaches most, for the console's overview: per UTC
// day, each recipient's count of inbound messages judged outreach (tagged,
// held or refused, at end of message or at RCPT). The milter adds to an
// in-memory tally under a short lock, for those verdicts only; the daily
// flusher hands it to the store, which keeps each recipient only as its keyed
// hash (to_hex of HashKind::recipient), for daily_retention_days.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "state/clock.hpp"

namespace pushback::state {

// One day's outreach per recipient: normalised addresses in the tally and on
// the way to the store, which hashes them before anything is written.
struct DayTargets {
  std::int64_t day = 0;  // days since 1970-01-01 (UTC)
  std::map<std::string, std::uint64_t> recipients;
};

// Recipients a day keeps in the store, most targeted first: the overview
// shows ten, and a large company's staff fits.
inline constexpr std::size_t targets_kept_per_day = 5000;

// Stored form of one day (LMDB's "m" "targets:" + day_key()): a varint
// count, then each recipient's 64-bit keyed hash and a varint count, most
// targeted first. A damaged value decodes to what it could read.
std::string encode_targets(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& targets);
std::vector<std::pair<std::uint64_t, std::uint64_t>> decode_targets(std::string_view value);

// Adds `more` to `into` (hash -> count), then sorts most targeted first and
// keeps targets_kept_per_day.
void merge_targets(std::vector<std::pair<std::uint64_t, std::uint64_t>>& into,
                   const std::vector<std::pair<std::uint64_t, std::uint64_t>>& more);

class TargetTally {
 public:
  // One message judged outreach, for each of its recipients.
  void add(const std::vector<std::string>& recipients, TimePoint time);
  void add_one(std::string_view recipient, TimePoint time);
  std::vector<DayTargets> drain();

  // Distinct recipients held per day between two flushes; more are dropped
  // (the verdict counts still count the message).
  static constexpr std::size_t recipients_per_day = 100000;

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::map<std::string, std::uint64_t>> days_;
};

}  // namespace pushback::state
