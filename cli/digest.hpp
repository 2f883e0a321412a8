// `pushback quarantine digest`: per internal recipient, what was held for them
// in the last period, as plain text and HTML, and how to ask for a release.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "quarantine/held_message.hpp"

namespace pushback::cli {

struct DigestMail {
  std::string recipient;  // an internal address
  std::string message;    // the whole RFC 5322 message, CRLF line ends
};

// One mail per internal recipient (a domain in direction.internal_domains)
// with something held for them since now - quarantine.digest_period. Never
// one for an external address. With web.public_url set, each entry carries
// that recipient's signed, single-use release link (web/release_link.hpp).
std::vector<DigestMail> build_digests(const config::Config& config, const std::vector<quarantine::HeldMessage>& held,
                                      std::int64_t now);

// Prints the digests, or with `send` hands each to the MTA's sendmail command
// from quarantine.digest_sender (refused when that is empty).
int digest(const config::Config& config, const std::vector<quarantine::HeldMessage>& held, bool send, std::int64_t now);

}  // namespace pushback::cli
