// Thin RAII over hiredis shared by the Redis store and the Sentinel client:
// one connection with timeouts and AUTH, one command, reply helpers.
// Nothing here logs: errors are returned as text, and no text ever holds a
// password.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "state/settings.hpp"

namespace pushback::state::detail {

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

struct ContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

Reply command(redisContext* context, const std::vector<std::string>& args);
bool is_error(const Reply& reply);
std::string error_text(redisContext* context, const Reply& reply);
std::string bulk(const redisReply* reply);
// A refusal of the credentials (or a command refused for lack of them).
bool is_credentials_error(std::string_view text);

// Why a connection could not be made: the server could not be reached (or
// answered oddly), or it refused the credentials (retrying will not help).
enum class ConnectFailure { none, unreachable, credentials };

struct Credentials {
  std::string username;  // empty: AUTH <password>
  std::string password;  // empty: no AUTH
};

// Connects to `address`, sets the command timeout and authenticates.
// On failure returns nullptr with `failure` and `error` set.
Context connect_to(const RedisAddress& address, const Credentials& credentials, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds command_timeout, ConnectFailure& failure, std::string& error);

std::string to_string(const RedisAddress& address);

}  // namespace pushback::state::detail
