// Recorded feedback for `pushback replay --feedback FILE`: one decision per
// line, "ham MESSAGE-ID" or "outreach MESSAGE-ID" ('#' starts a comment). The
// replay applies each right after the message with that Message-ID, as if an
// admin had released or deleted it at once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "state/feedback.hpp"

namespace pushback::cli {

struct RecordedFeedback {
  std::map<std::string, state::FeedbackKind> by_message_id;  // ids without angle brackets
  std::vector<std::string> errors;                           // "FILE:LINE: why"
};

RecordedFeedback load_recorded_feedback(const std::string& path);

}  // namespace pushback::cli
