// Finds the Redis primary through Sentinel, as hiredis has no Sentinel
// support: asks each Sentinel in turn for the master's address (the one that
// answered moves to the front), and a watcher thread subscribed to
// +switch-master reports a failover as soon as a Sentinel announces it.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "state/redis_client.hpp"
#include "state/settings.hpp"

namespace pushback::state::detail {

class SentinelClient {
 public:
  explicit SentinelClient(const RedisSettings& settings);

  // The primary's address as the first Sentinel that knows it says, or
  // nullopt with `error` (and `failure` credentials when a Sentinel refused
  // them and none answered).
  std::optional<RedisAddress> primary(ConnectFailure& failure, std::string& error);

 private:
  std::vector<RedisAddress> sentinels_;  // the last one that answered first
  std::mutex mutex_;
  const RedisSettings& settings_;
};

// Subscribes to +switch-master on the Sentinels (one at a time, the next
// when one goes away) and calls `on_switch` with the new address of our
// master. Stops and joins in its destructor.
class SwitchWatcher {
 public:
  SwitchWatcher(const RedisSettings& settings, std::function<void(const RedisAddress&)> on_switch);
  ~SwitchWatcher();
  SwitchWatcher(const SwitchWatcher&) = delete;
  SwitchWatcher& operator=(const SwitchWatcher&) = delete;

 private:
  void run();
  bool watch(const RedisAddress& sentinel);

  const RedisSettings& settings_;
  std::function<void(const RedisAddress&)> on_switch_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace pushback::state::detail
