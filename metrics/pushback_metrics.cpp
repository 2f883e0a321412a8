// The exposition page: HELP and TYPE lines, then the series.
#include "metrics/pushback_metrics.hpp"

#include <fmt/format.h>

namespace pushback::metrics {

namespace {

std::string head(const char* name, const char* type, const char* help) {
  return fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string PushbackMetrics::render(const std::string& version) const {
  std::string out;
  out += head("pushback_build_info", "gauge", "Version of the running pushback.");
  out += fmt::format("pushback_build_info{{version=\"{}\"}} 1\n", escape_label(version));
  out += head("pushback_messages_total", "counter", "Messages judged, by direction and verdict.");
  out += messages.render("pushback_messages_total");
  out += head("pushback_symbols_total", "counter", "Symbols fired, by symbol.");
  out += symbols.render("pushback_symbols_total");
  out += head("pushback_limits_hit_total", "counter", "Messages that hit a named input limit, by limit.");
  out += limits_hit.render("pushback_limits_hit_total");
  out += head("pushback_internal_errors_total", "counter", "Messages let through (or tempfailed) after an internal error.");
  out += fmt::format("pushback_internal_errors_total {}\n", internal_errors.value());
  out += head("pushback_store_recoveries_total", "counter",
              "Damaged or unreadable LMDB stores moved aside at start (docs/state.md, Recovery).");
  out += fmt::format("pushback_store_recoveries_total {}\n", store_recoveries.value());
  out += head("pushback_analysis_seconds", "histogram", "Time spent at end of message: analysis, state and decision.");
  out += analysis_seconds.render("pushback_analysis_seconds", "");
  out += head("pushback_store_operation_seconds", "histogram", "Latency of state store operations.");
  out += store_seconds.render("pushback_store_operation_seconds", "");
  out += head("pushback_store_errors_total", "counter", "State store operations that failed, by operation.");
  out += store_errors.render("pushback_store_errors_total");
  out += head("pushback_rcpt_checks_total", "counter",
              "RCPT-time streak checks, by what answered: the store, or a bound known from earlier messages.");
  out += rcpt_checks.render("pushback_rcpt_checks_total");
  out += head("pushback_connections_open", "gauge", "MTA connections currently open.");
  out += fmt::format("pushback_connections_open {}\n", connections_open.value());
  out += head("pushback_config_reloads_total", "counter", "Configuration reloads, by result.");
  out += config_reloads.render("pushback_config_reloads_total");
  return out;
}

}  // namespace pushback::metrics
