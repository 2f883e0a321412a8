// Socket specifications: "unix:/p", "local:/p", "inet:PORT@HOST", "inet:HOST:PORT",
// "inet6:PORT@HOST", "inet6:[HOST]:PORT".
#include "config/socket_spec.hpp"

#include <charconv>

namespace pushback::config {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "PORT@HOST" (Sendmail) or "HOST:PORT" / "[HOST]:PORT" (Postfix).
bool split_host_port(std::string_view rest, std::string& host, std::string_view& port) {
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    port = rest.substr(0, at);
    host = std::string(rest.substr(at + 1));
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
  } else {
    return false;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty();
}

}  // namespace

std::string SocketSpec::libmilter_form() const {
  switch (kind) {
    case Kind::unix_path: return "unix:" + path;
    case Kind::inet: return "inet:" + std::to_string(port) + "@" + host;
    case Kind::inet6: return "inet6:" + std::to_string(port) + "@" + host;
  }
  return {};
}

std::optional<SocketSpec> parse_socket_spec(std::string_view text, std::string& error) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    error = "expected unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST";
    return std::nullopt;
  }
  std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  SocketSpec spec;

  if (scheme == "unix" || scheme == "local") {
    if (rest.empty() || rest.front() != '/') {
      error = "a unix socket needs an absolute path";
      return std::nullopt;
    }
    spec.kind = SocketSpec::Kind::unix_path;
    spec.path = std::string(rest);
    return spec;
  }
  if (scheme != "inet" && scheme != "inet6") {
    error = "unknown socket type '" + std::string(scheme) + "'";
    return std::nullopt;
  }
  spec.kind = scheme == "inet" ? SocketSpec::Kind::inet : SocketSpec::Kind::inet6;
  std::string_view port_text;
  if (!split_host_port(rest, spec.host, port_text)) {
    error = "expected PORT@HOST or HOST:PORT after '" + std::string(scheme) + ":'";
    return std::nullopt;
  }
  auto port = parse_port(port_text);
  if (!port) {
    error = "port '" + std::string(port_text) + "' is not a number from 1 to 65535";
    return std::nullopt;
  }
  spec.port = *port;
  return spec;
}

}  // namespace pushback::config
