// What the review commands share: the configuration, the MTA's hold queue,
// the seal key, the state store, the held messages Pushback recognises, and
// the audit line saying who did what and why.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "quarantine/held_message.hpp"
#include "quarantine/mta_queue.hpp"
#include "state/store.hpp"

namespace pushback::cli {

struct Review {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<quarantine::MtaQueue> queue;
  std::optional<quarantine::Sealer> sealer;
  std::unique_ptr<state::Store> store;  // opened on first use by open_store()
};

// Loads the configuration and opens the MTA's queue and the seal key; prints
// why to stderr and returns nullopt when it cannot.
std::optional<Review> open_review(const std::string& config_path, const char* command, bool need_queue = true);

// The state store, opened on first use (as milter.user when run as root;
// once open, writes create no file that is not handed to the state's owner);
// null (and said on stderr) when it cannot be.
state::Store* open_store(Review& review, const char* command);

struct HeldListing {
  std::vector<quarantine::HeldMessage> ours;  // Pushback's holds, verified by their seal
  std::size_t others = 0;                     // held by something else
  bool ok = false;
};

// Pushback's held messages; warnings (unreadable entries) go to stderr.
HeldListing list_ours(Review& review, const char* command);

// "root" or "root (sudo by alice)": the account that ran the command.
std::string who_ran();

// One audit line to syslog (facility mail) and to stdout.
void audit(const std::string& line);

struct HeldDecision {
  bool done = false;           // the queue changed
  bool feedback_saved = true;  // false: released or deleted, but the store was unavailable
  std::string message;         // why nothing was done
};

// Releases (`release`) or deletes one message Pushback holds, teaches the
// store when `teach` (a release is "not outreach", a delete "outreach"),
// counts it in the store's daily counts (both only when `store` is not
// null) and writes the audit line with `who` and `why`. The one path
// `pushback quarantine` and the console both take.
HeldDecision release_or_delete_held(Review& review, const quarantine::HeldMessage& held, bool release,
                                    state::Store* store, const std::string& who, const std::string& why,
                                    bool teach = true);

// Counts released or deleted held messages in today's daily counts (the
// console's "quarantine per day"); false when the store did not take them.
bool count_quarantine_decisions(state::Store& store, bool release, std::uint64_t messages);

// Feedback on one judged message, from the facts its seal vouches for.
state::Feedback feedback_of(state::FeedbackKind kind, const std::string& sender,
                            const std::vector<std::string>& recipients, const quarantine::SealFacts& verdict);

}  // namespace pushback::cli
