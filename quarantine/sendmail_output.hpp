// Parsers of Sendmail's queue files: the control file of a queued message
// (qf, or hf once quarantined) and the QueueDirectory option of sendmail.cf.
// A control file is written by Sendmail but filled by mail senders
// (addresses, header text), so every line is checked and a broken file is
// reported, never trusted in part.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "quarantine/postfix_output.hpp"

namespace pushback::quarantine {

inline constexpr std::size_t max_control_file_bytes = 4u << 20;

struct ControlFile {
  QueueEntry entry;     // queue_name "hold" when quarantined (a 'q' line), else "queue"
  HeaderBlock headers;  // H lines, macro flags removed, continuations unfolded
  std::string reason;   // the quarantine reason
  std::string error;    // non-empty: not a usable control file, and why
};

// `queue_id` is the file name without its two-letter prefix.
ControlFile parse_control_file(std::string_view queue_id, std::string_view text);

// The value of "O QueueDirectory=..." in sendmail.cf; nullopt if absent.
std::optional<std::string> queue_directory_of(std::string_view cf_text);

}  // namespace pushback::quarantine
