// Keyed hashes of what must not be stored in clear: internal users' addresses
// and Message-IDs. The 32-byte secret lives in a key file (mode 0600) in the
// state directory, created on first start.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pushback::state {

inline constexpr std::size_t secret_key_size = 32;
inline constexpr const char* secret_key_file = "secret.key";

// What a hash stands for; part of the hashed input, so equal text of two kinds
// never yields the same id.
enum class HashKind : std::uint8_t {
  recipient = 1,   // an internal user's address
  sender = 2,      // an external sender (pair keys), not secret but kept short
  message_id = 3,  // a Message-ID our users sent
  dedup = 4,       // sender + Message-ID (+ recipient) of a delivery
  evidence = 5,    // a piece of campaign evidence: its kind and value
};

class KeyedHasher {
 public:
  // Reads DIR/secret.key, creating it (mode 0600) when absent. Throws
  // std::runtime_error when it cannot, or when the file has the wrong size.
  static KeyedHasher from_state_dir(const std::string& state_dir);
  explicit KeyedHasher(const std::array<std::uint8_t, secret_key_size>& key);

  std::uint64_t hash(HashKind kind, std::string_view text) const;
  std::uint64_t hash(HashKind kind, std::string_view a, std::string_view b) const;
  std::uint64_t hash(HashKind kind, std::string_view a, std::string_view b, std::string_view c) const;

 private:
  std::array<std::uint8_t, 192> secret_{};  // XXH3 secret derived from the key
};

// DIR/secret.key's bytes; false when there is none. Throws when it cannot be
// read or has the wrong size.
bool read_secret_key(const std::string& state_dir, std::array<std::uint8_t, secret_key_size>& key);
// Installs `key` as DIR/secret.key (mode 0600); false when one is there already.
bool install_secret_key(const std::string& state_dir, const std::array<std::uint8_t, secret_key_size>& key);

// 16 lower-case hex digits.
std::string to_hex(std::uint64_t value);

}  // namespace pushback::state
