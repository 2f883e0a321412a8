// `pushback web --config FILE` and `pushback web passwd`.
#pragma once

#include <string>

namespace pushback::web {

struct WebOptions {
  std::string config_path;
  std::string listen;  // overrides web.listen (tests use port 0 and read the port from the log)
};

// Serves the console until SIGTERM; returns the exit status (78: bad configuration).
int run_web(const WebOptions& options);

// Reads a new admin password (twice from a terminal, once from a pipe) and
// writes its hash to web.password_file with mode 0600.
int web_passwd(const std::string& config_path);

}  // namespace pushback::web
