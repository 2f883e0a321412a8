// Feedback: what admins and users decided about judged mail, kept as counts
// per subject (the template cluster, the sender address), never message text.
// A release or a --ham report is "not outreach"; a delete or an --outreach
// report is "outreach". observe() returns the counts for the message's
// template and sender, and the decision turns them into FEEDBACK_HAM and
// KNOWN_OUTREACH.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "state/clock.hpp"

namespace pushback::state {

enum class FeedbackKind { ham, outreach };

// Where a decision came from, for the metrics.
enum class FeedbackSource { release, remove, report };

std::string_view to_string(FeedbackKind kind);      // "ham", "outreach"
std::string_view to_string(FeedbackSource source);  // "release", "delete", "report"

struct Feedback {
  FeedbackKind kind = FeedbackKind::ham;
  std::string sender;                   // the external sender, normalise_address()d
  std::vector<std::string> recipients;  // our users it was for; ham makes each pair a dialogue
  bool template_known = false;
  std::uint32_t template_id = 0;  // the cluster (low 32 bits, as in X-Pushback-Seal)
  TimePoint time{};               // {} means the store's clock
  FeedbackSource source = FeedbackSource::report;
};

// Decisions recorded so far (all servers sharing the state), for the metrics.
struct FeedbackTotal {
  std::string kind;    // to_string(FeedbackKind)
  std::string source;  // to_string(FeedbackSource)
  std::uint64_t count = 0;
};

// The name under which a total is kept: "KIND:SOURCE".
std::string feedback_total_name(FeedbackKind kind, FeedbackSource source);
// The totals from "KIND:SOURCE" names and counts; unknown names are skipped.
std::vector<FeedbackTotal> feedback_totals_of(const std::vector<std::pair<std::string, std::uint64_t>>& named);

struct FeedbackFacts {
  std::uint32_t template_ham = 0;       // releases and --ham reports of this template
  std::uint32_t template_outreach = 0;  // deletes and --outreach reports of this template
  std::uint32_t sender_ham = 0;       // of the sender, or of its campaign when that has more
  std::uint32_t sender_outreach = 0;
};

// Who a piece of feedback is about: its subjects, as the key suffixes both
// backends store it under ("t:" + 8 hex digits of the template, "s:" + the
// sender address). The one place that decides it; the Redis script's read
// (redis_script.cpp, marked "feedback") builds the same names.
// The sender's campaign is a subject too ("c:" + 8 hex digits of its id): a
// delete of one mailbox's message marks every mailbox of the campaign.
struct FeedbackSubjects {
  std::string template_subject;  // "" when the template is unknown
  std::string sender_subject;    // "" when there is no sender (a bounce)
  std::string campaign_subject;  // "" when the sender has no campaign yet
};
FeedbackSubjects feedback_subjects(std::string_view sender, bool template_known, std::uint32_t template_id,
                                   std::uint32_t campaign = 0);

namespace detail {

// The LMDB value of one subject: touched, ham, outreach (12 bytes, little-endian).
struct FeedbackRecord {
  std::uint32_t touched = 0;
  std::uint32_t ham = 0;
  std::uint32_t outreach = 0;
  std::string encode() const;
  static FeedbackRecord decode(std::string_view bytes);
};

inline constexpr char key_feedback = 'F';  // 'F' subject -> FeedbackRecord

}  // namespace detail

}  // namespace pushback::state
