// Everything Pushback counts for its operators, in one object the daemon owns
// and hands to the sessions; render() gives the whole exposition page.
#pragma once

#include <string>

#include "metrics/registry.hpp"

namespace pushback::metrics {

struct PushbackMetrics {
  CounterFamily messages{{"direction", "verdict"}, 64};
  CounterFamily symbols{{"symbol"}, 256};
  CounterFamily limits_hit{{"limit"}, 64};
  Counter internal_errors;
  Counter store_recoveries;  // damaged stores moved aside at start
  Histogram analysis_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5}};
  Histogram store_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1}};
  CounterFamily store_errors{{"operation"}, 16};
  CounterFamily rcpt_checks{{"answered_by"}, 4};
  Gauge connections_open;
  CounterFamily config_reloads{{"result"}, 4};

  std::string render(const std::string& version) const;
};

}  // namespace pushback::metrics
