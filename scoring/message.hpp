// The plain message model that the milter fills from its callbacks and that
// `pushback scan` fills from files: envelope, headers and (capped) body.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pushback::scoring {

struct Header {
  std::string name;
  std::string value;  // unfolded as the MTA hands it over, possibly truncated
};

struct Envelope {
  std::string mail_from;                // as given in MAIL FROM, without angle brackets
  std::vector<std::string> recipients;  // as given in RCPT TO, without angle brackets
  std::string client_addr;
  std::string auth_user;    // {auth_authen}; empty when the client did not authenticate
  std::string daemon_name;  // {daemon_name}
  std::string queue_id;     // {i}
};

struct Message {
  Envelope envelope;
  std::vector<Header> headers;
  std::string body;               // raw body bytes as received, CRLF line ends
  bool body_truncated = false;    // more body arrived than the configured cap
  bool headers_truncated = false; // more headers, or a longer value, than the caps

  // First header with this name (case-insensitive), or nullptr.
  const Header* find_header(std::string_view name) const;
};

// ASCII case-insensitive comparison, for header names and the like.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);
std::string to_lower(std::string_view text);  // ASCII only: addresses, domains, header names

// The domain of an address (after the last '@'), lower case; "" if none.
std::string domain_of(std::string_view address);

}  // namespace pushback::scoring
