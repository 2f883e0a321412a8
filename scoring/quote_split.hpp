// Separates what the author wrote now from quoted history and from the
// signature. The new text is fingerprinted; the quoted text links a follow-up
// to the step before it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pushback::scoring {

struct SplitText {
  std::string new_text;   // lines the author wrote now, without signature
  std::string quoted;     // quoted history, `>` markers removed
  std::string signature;  // from the "-- " line or the sign-off ("Best regards,") to the end of the new text
  std::string quoted_author;  // the line that says whose text is quoted: "On ..., Jane wrote:", "From: Doe, Jane", "[Jane]"
};

// Quoted history starts at `quote_at` (an offset from the HTML markers) or at
// the first marker line: an attribution ("On ... wrote:", "Am ... schrieb:",
// "Le ... a écrit :", ...), an Outlook header block ("From:/Sent:/To:",
// "Von:/Gesendet:", "De:/Envoyé:", ...), an "-----Original Message-----" or
// forwarded-message separator; everything after such a marker is quoted.
// Lines starting with '>' before any marker are quoted one by one.
SplitText split_quotes(std::string_view text, std::size_t quote_at = std::string::npos);

}  // namespace pushback::scoring
