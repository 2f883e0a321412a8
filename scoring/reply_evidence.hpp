// Reply evidence for the state layer: the reply and forward prefixes of a
// subject in many languages ("Re:", "AW:", "Sv:", "RE[2]:", "Fwd:", "WG:"),
// the subject without them, and the Message-IDs of In-Reply-To and References.
// A "Re:" whose ids match nothing our users sent is a fake reply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/message.hpp"

namespace pushback::scoring {

// Ids kept per header. References lists oldest first; the newest (the parent
// and its nearest ancestors) are kept.
inline constexpr std::size_t max_in_reply_to_ids = 4;
inline constexpr std::size_t max_reference_ids = 32;
inline constexpr std::size_t max_message_id_bytes = 250;
// Prefixes stripped from one subject, so "Re: " x 10,000 is bounded work.
inline constexpr std::size_t max_subject_prefixes = 32;

struct SubjectPrefixes {
  std::size_t replies = 0;   // "Re:", "AW:", "Sv:", "Antw:", "RE[2]:" ...
  std::size_t forwards = 0;  // "Fwd:", "WG:", "TR:", "RV:", "Doorst:" ...
  bool reply_first = false;  // the outermost prefix is a reply prefix
  std::string base;          // the subject without prefixes and bracketed tags before them, trimmed
};

// Decoded subject text in (RFC 2047 words already decoded).
SubjectPrefixes strip_subject_prefixes(std::string_view subject);

struct MessageIds {
  std::vector<std::string> ids;  // each "<local@domain>", in header order
  bool truncated = false;        // more ids than the limit, or an over-long id
};

// The angle-bracket ids of an In-Reply-To or References value; comments and
// junk between them are ignored. Keeps the last `limit` ids.
MessageIds parse_message_ids(std::string_view value, std::size_t limit);

struct ReplyEvidence {
  SubjectPrefixes subject;
  MessageIds in_reply_to;
  MessageIds references;

  bool looks_like_reply() const { return subject.replies > 0 || !in_reply_to.ids.empty(); }
  bool has_thread_ids() const { return !in_reply_to.ids.empty() || !references.ids.empty(); }
};

ReplyEvidence reply_evidence(std::string_view subject, std::string_view in_reply_to, std::string_view references);

// From the message's own headers; the Subject is used as received, so pass the
// decoded subject to the overload above when there are encoded words.
ReplyEvidence reply_evidence(const Message& message);

}  // namespace pushback::scoring
