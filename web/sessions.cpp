// Sessions, CSRF tokens and the login limit.
#include "web/sessions.hpp"

#include <sodium.h>

#include <stdexcept>

namespace pushback::web {

std::string random_token(std::size_t bytes) {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  std::string raw(bytes, '\0');
  ::randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  ::sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

std::string SessionTable::open(std::string who, std::int64_t now) {
  // Drop expired sessions here, so the table never outgrows the live ones.
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
  std::string id = random_token();
  sessions_[id] = Session{std::move(who), random_token(), now + lifetime_};
  return id;
}

std::optional<Session> SessionTable::find(std::string_view id, std::int64_t now) {
  auto found = sessions_.find(id);
  if (found == sessions_.end()) return std::nullopt;
  if (found->second.expires <= now) {
    sessions_.erase(found);
    return std::nullopt;
  }
  return found->second;
}

void SessionTable::close(std::string_view id) {
  if (auto found = sessions_.find(id); found != sessions_.end()) sessions_.erase(found);
}

bool csrf_matches(const Session& session, std::string_view sent) {
  return !session.csrf.empty() && sent.size() == session.csrf.size() &&
         ::sodium_memcmp(sent.data(), session.csrf.data(), sent.size()) == 0;
}

std::int64_t LoginLimiter::wait_seconds(const std::string& client, std::int64_t now) {
  auto found = failures_.find(client);
  if (found == failures_.end()) return 0;
  auto& times = found->second;
  while (!times.empty() && times.front() + window_ <= now) times.pop_front();
  if (times.empty()) {
    failures_.erase(found);
    return 0;
  }
  if (static_cast<std::int64_t>(times.size()) < attempts_) return 0;
  return times.front() + window_ - now;
}

void LoginLimiter::failed(const std::string& client, std::int64_t now) {
  if (failures_.size() >= max_clients && !failures_.count(client)) {
    std::erase_if(failures_, [&](const auto& entry) { return entry.second.empty() || entry.second.back() + window_ <= now; });
    if (failures_.size() >= max_clients) failures_.erase(failures_.begin());
  }
  auto& times = failures_[client];
  times.push_back(now);
  while (static_cast<std::int64_t>(times.size()) > attempts_) times.pop_front();
}

}  // namespace pushback::web
