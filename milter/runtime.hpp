// What one connection works with: the validated configuration and the
// analyzer compiled from it. A reload builds a new Runtime and swaps it in
// atomically once everything validated; each connection pins the one it
// started with, so a reload never disturbs a message in flight.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "scoring/analyse.hpp"

namespace pushback::milter {

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const scoring::Analyzer> analyzer;
};

struct RuntimeLoad {
  std::shared_ptr<const Runtime> runtime;  // null when there are errors
  std::vector<std::string> errors;         // "FILE:LINE: KEY: message" lines
  bool ok() const { return runtime != nullptr; }
};

// Loads the configuration file (and its data files), applies a --socket
// override, and compiles the analyzer.
RuntimeLoad load_runtime(const std::string& config_path, const std::optional<std::string>& socket_override = {});

// The same from an already loaded configuration (tests, scan).
RuntimeLoad make_runtime(std::shared_ptr<const config::Config> config);

class RuntimeHolder {
 public:
  explicit RuntimeHolder(std::shared_ptr<const Runtime> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const Runtime> get() const { return current_.load(); }
  void set(std::shared_ptr<const Runtime> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const Runtime>> current_;
};

}  // namespace pushback::milter
