// Sets up spdlog for the daemon and the command-line tools: stderr (the
// foreground and the journal) or syslog with a mail facility.
#pragma once

#include "config/config.hpp"

namespace pushback::milter {

void configure_logging(const config::LogSettings& settings);

// Applies a new log.level to the running logger (on reload).
void set_log_level(const config::LogSettings& settings);

}  // namespace pushback::milter
