// Daily counts for the console's charts: per UTC day, inbound messages by
// verdict (pass, tag, held, refused) and the quarantine's decisions (held
// messages released or deleted). The milter adds to an in-memory tally with
// one relaxed atomic increment per message; the maintenance timer flushes
// the tally into the store, which keeps daily_retention_days of them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "state/clock.hpp"

namespace pushback::state {

enum class DailyEvent : std::uint8_t { pass, tag, held, refused, released, deleted };
inline constexpr std::size_t daily_event_count = 6;
// The overview shows up to 90 days; ten more keep a late flush from landing on an expired day.
inline constexpr std::int64_t daily_retention_days = 100;

std::string_view to_string(DailyEvent event);  // "pass", "tag", "held", "refused", "released", "deleted"

struct DayCounts {
  std::int64_t day = 0;  // days since 1970-01-01 (UTC)
  std::array<std::uint64_t, daily_event_count> counts{};

  std::uint64_t& operator[](DailyEvent event) { return counts[static_cast<std::size_t>(event)]; }
  std::uint64_t operator[](DailyEvent event) const { return counts[static_cast<std::size_t>(event)]; }
};

std::int64_t day_number(TimePoint time);

// The stored form: the six counts as little-endian 64-bit integers. A value
// of another length (a later version with more events) decodes what it can.
std::string encode_day(const DayCounts& day);
DayCounts decode_day(std::int64_t day, std::string_view value);

// The day as 8 big-endian bytes: keys sort by day (LMDB's "m" "daily:" + this).
std::string day_key(std::int64_t day);
std::int64_t day_of_key(std::string_view key);  // of the last 8 bytes

// The milter's tally: a small ring of day slots, so a message costs one
// atomic add and no lock. drain() takes what was counted and zeroes it.
class DailyTally {
 public:
  void add(DailyEvent event, TimePoint time) noexcept;
  std::vector<DayCounts> drain();

 private:
  static constexpr std::size_t slots = 4;  // today, yesterday and some slack between flushes
  struct Slot {
    std::atomic<std::int64_t> day{-1};
    std::array<std::atomic<std::uint64_t>, daily_event_count> counts{};
  };
  std::array<Slot, slots> slots_{};
};

}  // namespace pushback::state
