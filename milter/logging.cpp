// spdlog sinks for the two log targets.
#include "milter/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <map>

namespace pushback::milter {

namespace {

int facility_code(const std::string& name) {
  static const std::map<std::string, int> facilities = {
      {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
      {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  auto it = facilities.find(name);
  return it == facilities.end() ? LOG_MAIL : it->second;
}

spdlog::level::level_enum level_of(const config::LogSettings& settings) {
  return spdlog::level::from_str(settings.level == "warning" ? "warn" : settings.level);
}

}  // namespace

void set_log_level(const config::LogSettings& settings) { spdlog::default_logger()->set_level(level_of(settings)); }

void configure_logging(const config::LogSettings& settings) {
  std::shared_ptr<spdlog::logger> logger;
  if (settings.target == config::LogTarget::syslog) {
    auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("pushback", LOG_PID, facility_code(settings.facility),
                                                                false);
    logger = std::make_shared<spdlog::logger>("pushback", sink);
    logger->set_pattern("%v");
  } else {
    logger = std::make_shared<spdlog::logger>("pushback", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
  }
  logger->set_level(level_of(settings));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace pushback::milter
