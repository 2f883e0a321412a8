// The validated configuration as plain structs. Only config/ reads files; every
// other layer receives these values. Defaults live in the schema (schema.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/socket_spec.hpp"

namespace pushback::config {

enum class FailureAction { accept, tempfail };

struct MilterSettings {
  SocketSpec socket;
  std::string user;              // account to drop to when started as root; empty: stay
  std::string group;             // empty: the user's primary group
  std::string pid_file;          // empty: none
  std::uint32_t socket_mode = 0;  // permissions of a unix socket
  std::chrono::seconds timeout{0};
  FailureAction on_error = FailureAction::accept;
  std::int64_t max_body_bytes = 0;
  std::int64_t max_header_count = 0;
  std::int64_t max_header_bytes = 0;
  std::int64_t max_recipients = 0;
};

enum class LogTarget { stderr_stream, syslog };

struct LogSettings {
  LogTarget target = LogTarget::stderr_stream;
  std::string level;     // spdlog level name
  std::string facility;  // syslog facility name
};

struct HeaderSettings {
  bool add_report = true;
  std::int64_t max_report_length = 0;
};

struct MetricsSettings {
  bool enabled = true;
  std::string listen;             // HOST:PORT
  bool allow_non_loopback = false;
};

struct Config {
  std::string source_path;  // the file this was loaded from, for messages
  MilterSettings milter;
  LogSettings log;
  HeaderSettings headers;
  MetricsSettings metrics;
};

}  // namespace pushback::config
