// The tally of outreach per recipient and its stored form.
#include "state/targeted_staff.hpp"

#include <algorithm>
#include <unordered_map>

#include "state/series.hpp"
#include "state/daily_counts.hpp"

namespace pushback::state {

std::string encode_targets(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& targets) {
  ByteWriter out;
  out.varint(targets.size());
  for (const auto& [hash, count] : targets) {
    out.u64(hash);
    out.varint(count);
  }
  return std::move(out.str());
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> decode_targets(std::string_view value) {
  ByteReader in(value);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  auto size = std::min<std::uint64_t>(in.varint(), targets_kept_per_day);
  for (std::uint64_t i = 0; i < size; ++i) {
    auto hash = in.u64();
    auto count = in.varint();
    if (!in.ok()) break;
    out.emplace_back(hash, count);
  }
  return out;
}

void merge_targets(std::vector<std::pair<std::uint64_t, std::uint64_t>>& into,
                   const std::vector<std::pair<std::uint64_t, std::uint64_t>>& more) {
  std::unordered_map<std::uint64_t, std::size_t> at;
  for (std::size_t i = 0; i < into.size(); ++i) at.emplace(into[i].first, i);
  for (const auto& [hash, count] : more) {
    if (auto found = at.find(hash); found != at.end()) {
      into[found->second].second += count;
    } else {
      at.emplace(hash, into.size());
      into.emplace_back(hash, count);
    }
  }
  std::stable_sort(into.begin(), into.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (into.size() > targets_kept_per_day) into.resize(targets_kept_per_day);
}

void TargetTally::add(const std::vector<std::string>& recipients, TimePoint time) {
  const std::int64_t day = day_number(time);
  std::lock_guard lock(mutex_);
  auto& counts = days_[day];
  for (const auto& recipient : recipients) {
    if (auto found = counts.find(recipient); found != counts.end()) {
      ++found->second;
    } else if (counts.size() < recipients_per_day) {
      counts.emplace(recipient, 1);
    }
  }
}

void TargetTally::add_one(std::string_view recipient, TimePoint time) { add(std::vector<std::string>{std::string(recipient)}, time); }

std::vector<DayTargets> TargetTally::drain() {
  std::map<std::int64_t, std::map<std::string, std::uint64_t>> taken;
  {
    std::lock_guard lock(mutex_);
    taken.swap(days_);
  }
  std::vector<DayTargets> out;
  for (auto& [day, recipients] : taken) {
    if (!recipients.empty()) out.push_back({day, std::move(recipients)});
  }
  return out;
}

}  // namespace pushback::state
