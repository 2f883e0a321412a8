// The seal: how Pushback tells its own verdict from a forged one in a held
// message. The milter adds X-Pushback-Seal to every inbound message it
// judged; the value carries the verdict (time, action, score, template,
// symbol names) and a MAC over it and the envelope sender, keyed with a key
// derived from the state directory's secret key. A sender can write any
// X-Pushback-* header (the milter deletes inbound copies, but a message held
// by other means, or a file handed to `pushback feedback`, is still hostile),
// but cannot write a seal that verifies without the key.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushback::quarantine {

inline constexpr const char* seal_header = "X-Pushback-Seal";
inline constexpr std::size_t max_seal_symbols = 24;
inline constexpr std::size_t max_seal_length = 1024;  // a longer value is not ours

struct SealFacts {
  std::int64_t time = 0;  // seconds since the epoch, when the milter judged the message
  std::string action;     // pass, tag, quarantine, reject, tempfail
  std::string score;      // as in X-Pushback-Score, e.g. "12.0"
  bool template_known = false;
  std::uint32_t template_id = 0;     // the template cluster (low 32 bits, as the store keeps it)
  std::vector<std::string> symbols;  // names, strongest first (capped)
};

class Sealer {
 public:
  // The seal key is derived from the 32-byte secret (HMAC-SHA256 with a label),
  // so the seal and the keyed hashes never use the same key.
  explicit Sealer(const std::array<std::uint8_t, 32>& secret);

  // Reads DIR/secret.key. Throws std::runtime_error when it is missing,
  // unreadable or of the wrong size (the daemon creates it at first start).
  static Sealer from_state_dir(const std::string& state_dir);

  // The header value for `facts` on a message from `sender` (normalised).
  std::string seal(const SealFacts& facts, std::string_view sender) const;

  // The facts of a seal that verifies for `sender`; nullopt for anything
  // else (malformed, too long, another key, another sender).
  std::optional<SealFacts> verify(std::string_view header_value, std::string_view sender) const;

 private:
  std::string mac(std::string_view signed_text, std::string_view sender) const;
  std::array<std::uint8_t, 32> key_{};
};

}  // namespace pushback::quarantine
