// Admin sessions and the login rate limit, in memory: a restart logs
// everyone out, which is what a security-sensitive console should do.
// Time is passed in, so expiry is tested without sleeping.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pushback::web {

struct Session {
  std::string who;   // "admin from 127.0.0.1", for the audit log
  std::string csrf;  // the token every state-changing form must carry
  std::int64_t expires = 0;
};

class SessionTable {
 public:
  explicit SessionTable(std::int64_t lifetime_seconds) : lifetime_(lifetime_seconds) {}

  // A new session; returns its id (the cookie value), 64 random hex digits.
  std::string open(std::string who, std::int64_t now);
  // The live session of `id`; nullopt when unknown or expired (then dropped).
  std::optional<Session> find(std::string_view id, std::int64_t now);
  void close(std::string_view id);
  std::size_t size() const { return sessions_.size(); }

 private:
  std::int64_t lifetime_;
  std::map<std::string, Session, std::less<>> sessions_;
};

// True when `sent` is the session's CSRF token (constant-time comparison).
bool csrf_matches(const Session& session, std::string_view sent);

// Failed logins per client address in a sliding window.
class LoginLimiter {
 public:
  LoginLimiter(std::int64_t attempts, std::int64_t window_seconds) : attempts_(attempts), window_(window_seconds) {}
  // Seconds until `client` may try again; 0 when it may now.
  std::int64_t wait_seconds(const std::string& client, std::int64_t now);
  void failed(const std::string& client, std::int64_t now);
  void succeeded(const std::string& client) { failures_.erase(client); }

 private:
  // How many clients are remembered at most: a flood of addresses cannot grow it without bound.
  static constexpr std::size_t max_clients = 10000;
  std::int64_t attempts_;
  std::int64_t window_;
  std::map<std::string, std::deque<std::int64_t>> failures_;
};

// 2 * `bytes` random hex digits.
std::string random_token(std::size_t bytes = 32);

}  // namespace pushback::web
