// hiredis connections with timeouts and AUTH (see redis_client.hpp).
#include "state/redis_client.hpp"

#include <sys/time.h>

#include <cstring>

namespace pushback::state::detail {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

Reply command(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// Redis answers a refused AUTH with WRONGPASS (ACL), ERR invalid password
// (requirepass) or NOPERM, and a command that needs AUTH with NOAUTH.
bool is_credentials_error(std::string_view text) {
  for (std::string_view prefix : {"WRONGPASS", "NOAUTH", "NOPERM", "ERR invalid password", "ERR AUTH",
                                  "ERR Client sent AUTH"}) {
    if (text.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

bool is_error(const Reply& reply) { return !reply || reply->type == REDIS_REPLY_ERROR; }

std::string error_text(redisContext* context, const Reply& reply) {
  if (reply && reply->type == REDIS_REPLY_ERROR) return std::string(reply->str, reply->len);
  return context && context->err ? context->errstr : "no reply";
}

std::string bulk(const redisReply* reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
             ? std::string(reply->str, reply->len)
             : std::string{};
}

std::string to_string(const RedisAddress& address) {
  if (is_unix_socket(address)) return "unix:" + address.host;
  return (address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host) + ":" +
         std::to_string(address.port);
}

Context connect_to(const RedisAddress& address, const Credentials& credentials, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds command_timeout, ConnectFailure& failure, std::string& error) {
  failure = ConnectFailure::unreachable;
  Context context(is_unix_socket(address)
                      ? redisConnectUnixWithTimeout(address.host.c_str(), to_timeval(connect_timeout))
                      : redisConnectWithTimeout(address.host.c_str(), address.port, to_timeval(connect_timeout)));
  if (!context || context->err) {
    error = context ? context->errstr : "cannot allocate a connection";
    return nullptr;
  }
  redisSetTimeout(context.get(), to_timeval(command_timeout));
  if (!credentials.password.empty()) {
    Reply reply = credentials.username.empty() ? command(context.get(), {"AUTH", credentials.password})
                                               : command(context.get(), {"AUTH", credentials.username, credentials.password});
    if (is_error(reply)) {
      error = error_text(context.get(), reply);
      if (reply && is_credentials_error(error)) failure = ConnectFailure::credentials;
      return nullptr;
    }
  }
  failure = ConnectFailure::none;
  return context;
}

}  // namespace pushback::state::detail
