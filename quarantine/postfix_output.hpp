// Parsers of what Postfix's queue tools print: `postqueue -j` (one JSON object
// per queued message) and a header block as `postcat -hq ID` prints it. Both
// are fed by mail senders (addresses, header text), so every entry is checked
// and a broken one is reported and skipped, never trusted in part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushback::quarantine {

inline constexpr std::size_t max_header_fields = 1000;        // more: the rest is ignored, flagged
inline constexpr std::size_t max_header_field_bytes = 65536;  // per unfolded field, longer is cut

struct QueueEntry {
  std::string queue_id;
  std::string queue_name;         // hold, incoming, active, deferred, ...
  std::int64_t arrival_time = 0;  // seconds since the epoch
  std::int64_t message_size = 0;
  std::string sender;  // as the queue has it; "" for a bounce
  std::vector<std::string> recipients;
};

struct QueueListing {
  std::vector<QueueEntry> entries;
  std::vector<std::string> errors;  // "line N: why", one per skipped line
};

// Lines that are not a well-formed entry (bad JSON, a missing or mistyped
// field, an invalid queue id) are skipped with an error.
QueueListing parse_postqueue_json(std::string_view text);

struct HeaderField {
  std::string name;
  std::string value;  // unfolded: line breaks removed, the white space after them kept
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  bool truncated = false;  // over a limit, or a malformed line ended the block
};

// The header fields of a message, up to the first empty line. Accepts LF or
// CRLF line ends; a line that is neither a field nor a continuation ends the
// block (as a mail parser would take it for the body).
HeaderBlock parse_header_block(std::string_view text);

// The value of the last field named `name` (case-insensitive); "" if none.
std::string last_value(const HeaderBlock& block, std::string_view name);

}  // namespace pushback::quarantine
