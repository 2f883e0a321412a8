// Finds the text a reader sees in a message with GMime: transfer encodings,
// charsets to UTF-8, RFC 2047 words, nested multiparts, within TextLimits.
#pragma once

#include <string>
#include <vector>

#include "scoring/message.hpp"
#include "scoring/text_limits.hpp"

namespace pushback::scoring {

struct Mailbox {
  std::string name;     // display name, RFC 2047 decoded; may be empty
  std::string address;  // addr-spec as written
};

struct MimeText {
  std::string subject;              // RFC 2047 decoded, UTF-8
  std::vector<Mailbox> from;
  std::vector<Mailbox> to;          // To: and Cc:
  std::string text;                 // the first text/plain part, or else the first text/html (markup)
  bool from_html = false;           // text is HTML markup
  std::string html;                 // the first text/html part, also when text is plain (for its links and images)
  bool charset_unknown = false;     // a part's charset could not be converted: decoded as best we could
  std::vector<std::string> limits_hit;
};

MimeText extract_mime_text(const Message& message, const TextLimits& limits = {});

}  // namespace pushback::scoring
