// Recognising Pushback's own holds by their seal.
#include "quarantine/held_message.hpp"

#include "scoring/header_text.hpp"
#include "scoring/message.hpp"
#include "state/address.hpp"

namespace pushback::quarantine {

namespace {

constexpr std::size_t display_limit = 300;

std::string display(std::string_view text) {
  std::string clean = scoring::sanitise_header_value(text);
  if (clean.size() > display_limit) clean.resize(display_limit);
  return clean;
}

}  // namespace

std::optional<SealFacts> find_seal(const HeaderBlock& headers, std::string_view sender, const Sealer& sealer) {
  std::string normalised = state::normalise_address(sender);
  for (auto it = headers.fields.rbegin(); it != headers.fields.rend(); ++it) {
    if (!scoring::iequals(it->name, seal_header)) continue;
    if (auto facts = sealer.verify(it->value, normalised)) return facts;
  }
  return std::nullopt;
}

std::optional<HeldMessage> recognise_held(const QueueEntry& entry, const HeaderBlock& headers, const Sealer& sealer) {
  auto facts = find_seal(headers, entry.sender, sealer);
  if (!facts || facts->action != "quarantine") return std::nullopt;
  HeldMessage held;
  held.entry = entry;
  held.verdict = std::move(*facts);
  held.subject = display(last_value(headers, "Subject"));
  held.message_id = display(last_value(headers, "Message-ID"));
  held.report = scoring::sanitise_header_value(last_value(headers, "X-Pushback-Report"));
  return held;
}

}  // namespace pushback::quarantine
