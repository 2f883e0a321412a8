// Sentinel client: the primary's address, and +switch-master as it happens
// (see redis_sentinel.hpp).
#include "state/redis_sentinel.hpp"

#include <hiredis/read.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace pushback::state::detail {

namespace {

Credentials sentinel_credentials(const RedisSettings& settings) {
  return {settings.sentinel_username, settings.sentinel_password};
}

// "+switch-master" payload: "<name> <old ip> <old port> <new ip> <new port>".
std::optional<RedisAddress> switched_to(const std::string& payload, const std::string& master_name) {
  std::istringstream words(payload);
  std::string name, old_host, old_port, new_host, new_port;
  if (!(words >> name >> old_host >> old_port >> new_host >> new_port) || name != master_name) return std::nullopt;
  unsigned long port = std::strtoul(new_port.c_str(), nullptr, 10);
  if (port == 0 || port > 65535) return std::nullopt;
  return RedisAddress{new_host, static_cast<std::uint16_t>(port)};
}

}  // namespace

SentinelClient::SentinelClient(const RedisSettings& settings) : sentinels_(settings.sentinels), settings_(settings) {}

std::optional<RedisAddress> SentinelClient::primary(ConnectFailure& failure, std::string& error) {
  std::lock_guard lock(mutex_);
  failure = ConnectFailure::unreachable;
  bool refused = false;
  std::string errors;
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    const RedisAddress sentinel = sentinels_[i];
    ConnectFailure why = ConnectFailure::none;
    std::string problem;
    Context context = connect_to(sentinel, sentinel_credentials(settings_), settings_.connect_timeout,
                                 settings_.command_timeout, why, problem);
    Reply reply;
    if (context) {
      reply = command(context.get(), {"SENTINEL", "get-master-addr-by-name", settings_.master_name});
      if (is_error(reply)) {
        problem = error_text(context.get(), reply);
        if (reply && is_credentials_error(problem)) why = ConnectFailure::credentials;
      } else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        problem = "does not know master " + settings_.master_name;
      } else {
        unsigned long port = std::strtoul(bulk(reply->element[1]).c_str(), nullptr, 10);
        if (port > 0 && port <= 65535) {
          std::rotate(sentinels_.begin(), sentinels_.begin() + static_cast<std::ptrdiff_t>(i),
                      sentinels_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
          failure = ConnectFailure::none;
          return RedisAddress{bulk(reply->element[0]), static_cast<std::uint16_t>(port)};
        }
        problem = "answered an invalid port";
      }
    }
    refused = refused || why == ConnectFailure::credentials;
    if (!errors.empty()) errors += "; ";
    errors += "Sentinel " + to_string(sentinel) + ": " + problem;
  }
  if (refused) failure = ConnectFailure::credentials;
  error = errors.empty() ? "no Sentinel configured" : errors;
  return std::nullopt;
}

SwitchWatcher::SwitchWatcher(const RedisSettings& settings, std::function<void(const RedisAddress&)> on_switch)
    : settings_(settings), on_switch_(std::move(on_switch)), thread_([this] { run(); }) {}

SwitchWatcher::~SwitchWatcher() {
  stop_ = true;
  thread_.join();
}

void SwitchWatcher::run() {
  std::size_t next = 0;
  while (!stop_) {
    const RedisAddress& sentinel = settings_.sentinels[next++ % settings_.sentinels.size()];
    if (watch(sentinel)) continue;
    // That Sentinel is away: try the next one after a pause.
    for (auto waited = std::chrono::milliseconds(0); !stop_ && waited < settings_.retry_interval;
         waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// Listens on one Sentinel until it goes away (false) or the watcher stops.
bool SwitchWatcher::watch(const RedisAddress& sentinel) {
  ConnectFailure failure = ConnectFailure::none;
  std::string error;
  Context context = connect_to(sentinel, sentinel_credentials(settings_), settings_.connect_timeout,
                               settings_.command_timeout, failure, error);
  if (!context) return false;
  Reply subscribed = command(context.get(), {"SUBSCRIBE", "+switch-master"});
  if (is_error(subscribed)) return false;
  while (!stop_) {
    pollfd ready{context->fd, POLLIN, 0};
    int events = ::poll(&ready, 1, 200);
    if (events < 0) return false;
    if (events == 0) continue;
    if (redisBufferRead(context.get()) != REDIS_OK) return false;
    void* raw = nullptr;
    while (redisReaderGetReply(context->reader, &raw) == REDIS_OK && raw) {
      Reply message(static_cast<redisReply*>(raw));
      raw = nullptr;
      if (message->type != REDIS_REPLY_ARRAY || message->elements != 3) continue;
      if (auto address = switched_to(bulk(message->element[2]), settings_.master_name)) on_switch_(*address);
    }
  }
  return true;
}

}  // namespace pushback::state::detail
