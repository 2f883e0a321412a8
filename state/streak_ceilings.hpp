// What this process last learned of the highest streaks of a sender and of
// its campaign, so that the RCPT check need not ask a remote store about a
// sender whose every streak is below the refusal. A bound, never a count:
// values only grow while they are fresh (a reply that lowers a streak only
// costs a lookup), and a bound older than its lifetime is no bound at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "state/clock.hpp"

namespace pushback::state {

class StreakCeilings {
 public:
  // `lifetime`: how long a bound holds without news of the sender or its
  // campaign (another mail server sharing the store may raise streaks in
  // between); `capacity`: senders and campaigns kept, each.
  explicit StreakCeilings(std::chrono::seconds lifetime, std::size_t capacity = 100'000);

  // After an observation: the sender's highest pair streak, its campaign
  // (0: none) and the campaign's highest streak over all its mailboxes.
  void record(std::string_view sender, std::uint32_t sender_streak, std::uint32_t campaign,
              std::uint32_t campaign_streak, TimePoint now);

  // The highest streak any pair of the sender or of its campaign can have,
  // or nullopt when this process does not know it (never seen, or too long ago).
  std::optional<std::uint32_t> bound(std::string_view sender, TimePoint now) const;

 private:
  struct Entry {
    std::uint32_t streak = 0;
    std::uint32_t campaign = 0;  // senders only
    TimePoint recorded{};
  };
  bool fresh(const Entry& entry, TimePoint now) const;
  // Raises a fresh entry, replaces a stale one; makes room first when full.
  template <typename Map, typename Key>
  Entry& raise(Map& map, const Key& key, std::uint32_t streak, TimePoint now);

  std::chrono::seconds lifetime_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> senders_;
  std::unordered_map<std::uint32_t, Entry> campaigns_;
};

}  // namespace pushback::state
