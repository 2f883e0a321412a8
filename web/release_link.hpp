// Recipients' release links: a token naming one held message and one
// recipient, with an expiry and a random nonce, under a MAC (libsodium's
// crypto_auth, HMAC-SHA512-256) keyed from the state directory's secret. A
// used nonce is written down so a link works once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushback::web {

struct LinkClaim {
  std::string queue_id;
  std::string recipient;  // normalised address
  std::int64_t expires = 0;  // seconds since the epoch
  std::string nonce;      // 32 hex digits
};

enum class LinkCheck { valid, malformed, forged, expired };

std::string_view to_string(LinkCheck check);

class LinkSigner {
 public:
  // The link key is derived from the 32-byte state secret with a label
  // (BLAKE2b keyed), so it is never the key of the seal or the hashes.
  explicit LinkSigner(const std::array<std::uint8_t, 32>& secret);
  // Reads DIR/secret.key; throws std::runtime_error when it cannot.
  static LinkSigner from_state_dir(const std::string& state_dir);

  // "v1.QUEUEID.RECIPIENT.EXPIRES.NONCE.MAC", URL-safe (base64url fields).
  std::string sign(const LinkClaim& claim) const;
  // A new claim for `queue_id` and `recipient`, valid until `expires`, with a fresh nonce.
  std::string issue(std::string_view queue_id, std::string_view recipient, std::int64_t expires) const;
  // The claim of a token whose MAC verifies and which has not expired at `now`.
  LinkCheck verify(std::string_view token, std::int64_t now, LinkClaim& claim) const;

 private:
  std::string mac(const LinkClaim& claim) const;
  std::array<std::uint8_t, 32> key_{};
};

// The nonces of links already used, in a file of the state directory
// ("NONCE EXPIRES" lines; expired ones are dropped when it is rewritten).
// One console process writes it; the file is locked while it is read and
// changed so a second process cannot use a link twice either.
class UsedLinks {
 public:
  explicit UsedLinks(std::string path) : path_(std::move(path)) {}
  bool used(std::string_view nonce) const;
  // Records `claim` as used; false when it already was (or the file cannot be written).
  bool mark(const LinkClaim& claim, std::int64_t now);

 private:
  std::string path_;
};

}  // namespace pushback::web
