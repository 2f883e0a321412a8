// The validated configuration as plain structs. Only config/ reads files; every
// other layer receives these values. Defaults live in the schema (schema.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/data_files.hpp"

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

struct AnalysisSettings {
  std::string phrases_file;   // resolved path of the follow-up lexicon
  std::string markers_file;   // resolved path of the outreach markers
  std::string phrase_engine;  // "vectorscan" or "re2_set"
  // Loaded with the configuration, so that check-config and reload validate them.
  std::shared_ptr<const PhraseLexicon> lexicon;
  std::shared_ptr<const OutreachMarkers> markers;
};

// Weights of the symbols: what an analyser's evidence is worth in the score.
struct SymbolWeights {
  double followup_phrase = 0;      // times the strongest matched phrase weight (0..1)
  double outreach_platform = 0;    // times the marker weight
  double tracking_pixel = 0;
  double link_tracking = 0;
  double booking_link = 0;
  double reply_without_thread = 0;
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
  AnalysisSettings analysis;
  SymbolWeights weights;
  MetricsSettings metrics;
};

}  // namespace pushback::config
