// The configured windows expressed in buckets, and the conversions between
// time points and the 32-bit second counts that stored records hold.
#pragma once

#include <cstdint>
#include <vector>

#include "state/clock.hpp"
#include "state/series.hpp"
#include "state/settings.hpp"

namespace pushback::state::detail {

struct Windows {
  std::uint32_t bucket_seconds = 3600;
  std::vector<std::uint32_t> widths;  // buckets per window, in settings order
  std::uint32_t longest = 1;

  Bucket bucket_of(std::uint32_t seconds) const { return seconds / bucket_seconds; }
  std::vector<std::uint32_t> sums(const Series& series, Bucket now) const;
};

Windows make_windows(const StoreSettings& settings);

// Seconds since the epoch; 0 stands for "never" in records.
std::uint32_t to_seconds(TimePoint time);
TimePoint from_seconds(std::uint32_t seconds);

}  // namespace pushback::state::detail
