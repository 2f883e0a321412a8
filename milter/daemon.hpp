// `pushback milter`: load the configuration, open the socket, drop privileges,
// serve until SIGTERM, reload on SIGUSR1.
#pragma once

#include <optional>
#include <string>

namespace pushback::milter {

struct DaemonOptions {
  std::string config_path;
  std::optional<std::string> socket;  // overrides milter.socket
  std::optional<std::string> pid_file;
  bool foreground = false;
};

// Returns the process exit status.
int run_daemon(const DaemonOptions& options);

}  // namespace pushback::milter
