// The feedback totals the state keeps (releases, deletes, reports), as
// Prometheus series appended to the daemon's metrics page. Read from the
// store at each scrape: the decisions are made by `pushback quarantine` and
// `pushback feedback`, other processes, possibly on other servers.
#pragma once

#include <string>
#include <vector>

#include "state/feedback.hpp"

namespace pushback::milter {

std::string feedback_exposition(const std::vector<state::FeedbackTotal>& totals);

}  // namespace pushback::milter
