#include "state/streak_ceilings.hpp"

#include <algorithm>

namespace pushback::state {

StreakCeilings::StreakCeilings(std::chrono::seconds lifetime, std::size_t capacity)
    : lifetime_(lifetime), capacity_(std::max<std::size_t>(capacity, 1)) {}

bool StreakCeilings::fresh(const Entry& entry, TimePoint now) const {
  // A clock that went back is no reason to trust an old bound.
  return entry.recorded <= now && now - entry.recorded < lifetime_;
}

template <typename Map, typename Key>
StreakCeilings::Entry& StreakCeilings::raise(Map& map, const Key& key, std::uint32_t streak, TimePoint now) {
  auto found = map.find(key);
  if (found == map.end()) {
    if (map.size() >= capacity_) {
      std::erase_if(map, [&](const auto& item) { return !fresh(item.second, now); });
      // All fresh: forgetting costs lookups, never a wrong answer.
      if (map.size() >= capacity_) map.clear();
    }
    found = map.emplace(Key(key), Entry{}).first;
  } else if (!fresh(found->second, now)) {
    found->second = Entry{};
  }
  Entry& entry = found->second;
  entry.streak = std::max(entry.streak, streak);
  entry.recorded = std::max(entry.recorded, now);
  return entry;
}

void StreakCeilings::record(std::string_view sender, std::uint32_t sender_streak, std::uint32_t campaign,
                            std::uint32_t campaign_streak, TimePoint now) {
  std::lock_guard lock(mutex_);
  Entry& entry = raise(senders_, std::string(sender), sender_streak, now);
  entry.campaign = campaign;
  if (campaign != 0) raise(campaigns_, campaign, campaign_streak, now);
}

std::optional<std::uint32_t> StreakCeilings::bound(std::string_view sender, TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto found = senders_.find(std::string(sender));
  if (found == senders_.end() || !fresh(found->second, now)) return std::nullopt;
  std::uint32_t streak = found->second.streak;
  if (found->second.campaign != 0) {
    auto campaign = campaigns_.find(found->second.campaign);
    if (campaign == campaigns_.end() || !fresh(campaign->second, now)) return std::nullopt;
    streak = std::max(streak, campaign->second.streak);
  }
  return streak;
}

}  // namespace pushback::state
