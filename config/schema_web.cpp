// Keys of [web]: the console (`pushback web`), its admin login and the
// recipients' release links in the digest.
#include "config/schema_parts.hpp"

namespace pushback::config::detail {

namespace {

template <typename T>
const T& as(const Value& value) {
  return std::get<T>(value);
}

std::string validate_public_url(const Value& value) {
  const auto& url = as<std::string>(value);
  if (url.empty()) return {};
  if (!url.starts_with("https://") && !url.starts_with("http://")) return "expected an http:// or https:// URL";
  if (url.find_first_of(" \t\r\n\"'<>") != std::string::npos) return "a URL has no spaces, quotes or angle brackets";
  return {};
}

}  // namespace

void add_web_keys(std::vector<KeyInfo>& keys) {
  auto add = [&keys](KeyInfo info) { keys.push_back(std::move(info)); };

  add({.path = "web.listen", .kind = ValueKind::string, .default_toml = R"("127.0.0.1:9894")",
       .doc = "Address of the console (`pushback web`), HOST:PORT or [IPv6]:PORT; loopback unless allowed below. "
              "Put a TLS proxy (nginx) in front of it.",
       .apply = [](Config& c, const Value& v) { c.web.listen = as<std::string>(v); }});
  add({.path = "web.allow_non_loopback", .kind = ValueKind::boolean, .default_toml = "false",
       .doc = "Let web.listen be a non-loopback address: the console then speaks plain HTTP to the network.",
       .apply = [](Config& c, const Value& v) { c.web.allow_non_loopback = as<bool>(v); }});
  add({.path = "web.public_url", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "The console's address as users reach it (e.g. https://pushback.example.com): the base of the "
              "digest's release links; https:// also marks cookies Secure. Empty: the digest carries no links.",
       .validate = validate_public_url,
       .apply = [](Config& c, const Value& v) { c.web.public_url = as<std::string>(v); }});
  add({.path = "web.password_file", .kind = ValueKind::string, .default_toml = R"("/etc/pushback/web-password")",
       .doc = "The admin password's hash (crypto_pwhash), written by `pushback web passwd`; mode 0600.",
       .apply = [](Config& c, const Value& v) { c.web.password_file = as<std::string>(v); }});
  add({.path = "web.session_lifetime", .kind = ValueKind::duration, .default_toml = R"("8h")",
       .doc = "An admin session ends this long after login.",
       .min = 60, .max = 7.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.web.session_lifetime = as<std::chrono::seconds>(v); }});
  add({.path = "web.link_lifetime", .kind = ValueKind::duration, .default_toml = R"("7d")",
       .doc = "A release link in the digest works this long, and once.",
       .min = 600, .max = 60.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.web.link_lifetime = as<std::chrono::seconds>(v); }});
  add({.path = "web.login_attempts", .kind = ValueKind::integer, .default_toml = "5",
       .doc = "Failed logins allowed per client address in web.login_window; more are refused until it passes.",
       .min = 1, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.web.login_attempts = as<std::int64_t>(v); }});
  add({.path = "web.login_window", .kind = ValueKind::duration, .default_toml = R"("15m")",
       .doc = "The window of web.login_attempts.",
       .min = 10, .max = 86400,
       .apply = [](Config& c, const Value& v) { c.web.login_window = as<std::chrono::seconds>(v); }});
  add({.path = "web.staff_names", .kind = ValueKind::string, .default_toml = R"("hash")",
       .doc = "How the console names our users: hash (the state's keyed hash only) or address (the address where "
              "a held message shows it).",
       .choices = {"hash", "address"},
       .apply = [](Config& c, const Value& v) { c.web.staff_names = as<std::string>(v); }});
}

}  // namespace pushback::config::detail
