// The daily counts' encoding and the lock-free tally.
#include "state/daily_counts.hpp"

namespace pushback::state {

std::string_view to_string(DailyEvent event) {
  switch (event) {
    case DailyEvent::pass: return "pass";
    case DailyEvent::tag: return "tag";
    case DailyEvent::held: return "held";
    case DailyEvent::refused: return "refused";
    case DailyEvent::released: return "released";
    case DailyEvent::deleted: return "deleted";
  }
  return "?";
}

std::int64_t day_number(TimePoint time) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  return seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
}

std::string encode_day(const DayCounts& day) {
  std::string out(daily_event_count * 8, '\0');
  for (std::size_t i = 0; i < daily_event_count; ++i) {
    for (std::size_t b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<char>((day.counts[i] >> (8 * b)) & 0xff);
  }
  return out;
}

DayCounts decode_day(std::int64_t day, std::string_view value) {
  DayCounts out;
  out.day = day;
  for (std::size_t i = 0; i < daily_event_count && (i + 1) * 8 <= value.size(); ++i) {
    std::uint64_t n = 0;
    for (std::size_t b = 0; b < 8; ++b) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(value[i * 8 + b])) << (8 * b);
    out.counts[i] = n;
  }
  return out;
}

std::string day_key(std::int64_t day) {
  std::string out(8, '\0');
  auto value = static_cast<std::uint64_t>(day);
  for (std::size_t b = 0; b < 8; ++b) out[7 - b] = static_cast<char>((value >> (8 * b)) & 0xff);
  return out;
}

std::int64_t day_of_key(std::string_view key) {
  std::uint64_t value = 0;
  if (key.size() < 8) return 0;
  for (char c : key.substr(key.size() - 8)) value = (value << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int64_t>(value);
}

void DailyTally::add(DailyEvent event, TimePoint time) noexcept {
  std::int64_t day = day_number(time);
  auto& slot = slots_[static_cast<std::size_t>(day) % slots];
  std::int64_t seen = slot.day.load(std::memory_order_relaxed);
  if (seen != day) {
    // A new day takes over a slot four days old, which drain() has emptied
    // since (it runs every few seconds); a count racing with the takeover
    // can land on the new day, never get lost.
    if (seen > day || !slot.day.compare_exchange_strong(seen, day, std::memory_order_relaxed)) {
      if (slot.day.load(std::memory_order_relaxed) != day) return;  // a clock far in the past: not counted
    }
  }
  slot.counts[static_cast<std::size_t>(event)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<DayCounts> DailyTally::drain() {
  std::vector<DayCounts> out;
  for (auto& slot : slots_) {
    std::int64_t day = slot.day.load(std::memory_order_relaxed);
    if (day < 0) continue;
    DayCounts counts;
    counts.day = day;
    bool any = false;
    for (std::size_t i = 0; i < daily_event_count; ++i) {
      counts.counts[i] = slot.counts[i].exchange(0, std::memory_order_relaxed);
      any = any || counts.counts[i] != 0;
    }
    if (any) out.push_back(counts);
  }
  return out;
}

}  // namespace pushback::state
