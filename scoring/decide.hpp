// decide(): evidence in, verdict out. The analysis symbols plus what the state
// layer knew about this sender, recipient and template become graded symbols;
// forced results (allowlists, blocklists) come first, then the score meets the
// ordered thresholds. Pure: the same inputs always give the same verdict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "scoring/analyse.hpp"
#include "scoring/message.hpp"
#include "scoring/symbol.hpp"

namespace pushback::scoring {

// What the state layer knew, in the plain terms the decision needs. For a
// message to several recipients the strongest pair counts.
struct HistoryFacts {
  bool available = false;       // false: the store could not be read; only the analysis counts
  bool outbound = false;        // our own user wrote this: never judged
  bool duplicate = false;       // a second delivery of a message already counted
  bool allowlisted = false;     // on the runtime allowlist (`pushback allow`)
  std::string short_window;     // e.g. "1d"
  std::string long_window;      // e.g. "40d"
  std::uint32_t streak = 0;     // unanswered messages to the recipient, this one included
  std::uint32_t streak_days = 0;           // days since the first of them
  std::uint32_t pair_messages_short = 0;   // to that recipient in the shortest window
  std::uint32_t sender_recipients_short = 0;
  std::uint32_t sender_recipients_long = 0;   // the sender's (or its campaign's) distinct recipients, longest window
  std::uint32_t template_recipients_long = 0;
  std::uint32_t template_senders_long = 0;
  std::uint32_t template_messages_long = 0;
  bool sequence_step = false;   // an earlier, different template went to the same recipient
  std::uint32_t steps = 0;
  bool dialogue = false;        // a recipient has written to the sender
  std::uint32_t days_since_reply = 0;
  bool cites_ids = false;             // In-Reply-To or References present
  bool answers_our_message = false;   // one of them is a Message-ID our users sent

  // The campaign the sender belongs to (all its mailboxes and lookalike
  // domains), for the recipient with the longest campaign streak. The
  // symbols take these counts when they are higher than the address's own.
  std::string campaign;                      // e.g. "acme (1a2b3c4d)"; empty when none
  std::uint32_t campaign_mailboxes = 0;
  std::uint32_t campaign_domains = 0;
  std::uint32_t campaign_streak = 0;         // unanswered messages from any of its mailboxes
  std::uint32_t campaign_streak_days = 0;
  std::uint32_t campaign_streak_senders = 0; // distinct addresses those messages came from
  std::uint32_t campaign_pair_messages_short = 0;
  bool campaign_sequence_step = false;
  std::uint32_t campaign_steps = 0;
  bool campaign_dialogue = false;            // the recipient wrote to a mailbox or the organisation of the campaign
  // Feedback from admins and users (pushback quarantine, pushback feedback).
  std::uint32_t template_ham = 0;       // releases of this template
  std::uint32_t template_outreach = 0;  // deletes and outreach reports of this template
  std::uint32_t sender_ham = 0;
  std::uint32_t sender_outreach = 0;
};

enum class Action { pass, tag, quarantine, reject, tempfail };

std::string_view to_string(Action action);

struct Verdict {
  Action action = Action::pass;      // what is done (monitor mode: always pass)
  Action computed = Action::pass;    // what the score asked for
  bool monitor = false;
  double score = 0;
  std::vector<Symbol> symbols;       // analysis and history symbols
  std::string forced;                // why a forced result applied, e.g. "allowlisted sender"; empty if none
  bool list_mail = false;            // subscribed list mail: held and refused only if configured
  bool automated = false;            // machine-sent (Auto-Submitted, Precedence): never held by streaks
  std::uint32_t streak = 0;
  std::string reply_text;            // for reject and tempfail, already filled in
};

// True for mail from a list the recipient subscribed to: a List-Id and at
// least one other list header (List-Unsubscribe, List-Post, ...).
bool is_list_mail(const Message& message);

// True for mail a machine sent and says so: Auto-Submitted other than "no"
// (RFC 3834), or Precedence bulk, junk or list. Notices and newsletters go
// unanswered by nature; that is no monologue.
bool is_automated_mail(const Message& message);

// Why mail from this envelope always passes (static allowlists, the runtime
// allowlist, recipients who all opted out); empty when it does not.
std::string allowlisted_reason(const Envelope& envelope, bool runtime_allowlisted, const config::PolicySettings& policy);

Verdict decide(const Message& message, const Analysis& analysis, const HistoryFacts& history,
               const config::Config& config);

}  // namespace pushback::scoring
