// The configuration in force. A reload swaps it atomically once the new file
// validates; each connection pins the one it started with.
#pragma once

#include <atomic>
#include <memory>

#include "config/config.hpp"

namespace pushback::milter {

class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const config::Config> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const config::Config> get() const { return current_.load(); }
  void set(std::shared_ptr<const config::Config> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const config::Config>> current_;
};

}  // namespace pushback::milter
