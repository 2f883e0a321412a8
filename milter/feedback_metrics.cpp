// pushback_feedback_total{kind,source}; nothing when the store is unavailable.
#include "milter/feedback_metrics.hpp"

#include <fmt/format.h>

namespace pushback::milter {

std::string feedback_exposition(const std::vector<state::FeedbackTotal>& totals) {
  if (totals.empty()) return {};
  std::string out =
      "# HELP pushback_feedback_total Decisions on judged mail fed back into the state (by every server sharing it), "
      "by kind and source.\n# TYPE pushback_feedback_total counter\n";
  for (const auto& total : totals) {
    out +=
        fmt::format("pushback_feedback_total{{kind=\"{}\",source=\"{}\"}} {}\n", total.kind, total.source, total.count);
  }
  return out;
}

}  // namespace pushback::milter
