// Parses the listening socket of the milter as Sendmail ("inet:PORT@HOST") and
// Postfix ("inet:HOST:PORT") write it, and renders it the way libmilter wants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushback::config {

struct SocketSpec {
  enum class Kind { unix_path, inet, inet6 };
  Kind kind = Kind::unix_path;
  std::string path;   // unix only
  std::string host;   // inet / inet6 only; never empty
  std::uint16_t port = 0;

  // The form smfi_setconn() accepts: "unix:/path", "inet:PORT@HOST", "inet6:PORT@HOST".
  std::string libmilter_form() const;
};

// Returns the parsed spec, or nullopt with a human-readable reason in `error`.
std::optional<SocketSpec> parse_socket_spec(std::string_view text, std::string& error);

}  // namespace pushback::config
