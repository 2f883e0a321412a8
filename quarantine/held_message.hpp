// A message in the hold queue that Pushback put there: its queue entry, the
// headers an admin reviews it by, and the verdict from a seal that verified.
// Anything else in the hold queue (held by an admin, a header check, another
// milter, or carrying a forged Pushback header) is not Pushback's.
#pragma once

#include <optional>
#include <string>

#include "quarantine/postfix_output.hpp"
#include "quarantine/seal.hpp"

namespace pushback::quarantine {

struct HeldMessage {
  QueueEntry entry;
  std::string subject;     // sanitised for display (control characters removed, folded)
  std::string message_id;  // sanitised
  std::string report;      // X-Pushback-Report as written with the seal; "" when absent
  SealFacts verdict;       // from the seal
};

// The held message when `headers` carry a seal that verifies for the entry's
// sender and says "quarantine"; nullopt otherwise. Several seals (a message
// judged at two hops, or a forged one beside ours): the last that verifies.
std::optional<HeldMessage> recognise_held(const QueueEntry& entry, const HeaderBlock& headers, const Sealer& sealer);

// The verdict of any judged message (held or delivered, e.g. a message file
// given to `pushback feedback`): the last seal that verifies for `sender`.
std::optional<SealFacts> find_seal(const HeaderBlock& headers, std::string_view sender, const Sealer& sealer);

}  // namespace pushback::quarantine
