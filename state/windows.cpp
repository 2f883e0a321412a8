// Window widths in buckets, and time conversions for records.
#include "state/windows.hpp"

#include <algorithm>

namespace pushback::state::detail {

std::vector<std::uint32_t> Windows::sums(const Series& series, Bucket now) const {
  std::vector<std::uint32_t> out;
  out.reserve(widths.size());
  for (auto width : widths) out.push_back(series.sum(now, width));
  return out;
}

Windows make_windows(const StoreSettings& settings) {
  Windows out;
  out.bucket_seconds = static_cast<std::uint32_t>(std::max<std::int64_t>(1, settings.bucket_width.count()));
  for (auto window : settings.windows) {
    // Rounded up: a 36 h window with day buckets spans two buckets.
    auto width = static_cast<std::uint32_t>((window.count() + out.bucket_seconds - 1) / out.bucket_seconds);
    out.widths.push_back(std::max<std::uint32_t>(1, width));
  }
  out.longest = out.widths.empty() ? 1 : *std::max_element(out.widths.begin(), out.widths.end());
  return out;
}

std::uint32_t to_seconds(TimePoint time) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(seconds, 1, UINT32_MAX));
}

TimePoint from_seconds(std::uint32_t seconds) {
  return seconds == 0 ? TimePoint{} : TimePoint{std::chrono::seconds(seconds)};
}

}  // namespace pushback::state::detail
