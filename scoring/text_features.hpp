// The text half of the analysis in one call: the text a reader sees, split
// into new text, quoted history and signature, normalised with the
// personalisation masked, and fingerprinted.
#pragma once

#include <string>
#include <vector>

#include "scoring/fingerprint.hpp"
#include "scoring/html_refs.hpp"
#include "scoring/message.hpp"
#include "scoring/text_limits.hpp"

namespace pushback::scoring {

struct TextFeatures {
  std::string subject;        // RFC 2047 decoded, UTF-8
  std::string subject_text;   // the subject without reply prefixes, normalised and masked as new_text
  std::string text;           // the text a reader sees (HTML already turned into text), UTF-8, capped
  std::string written_text;   // the new text as the author wrote it (no quotes, no signature)
  std::string new_text;       // normalised and masked new text: what is fingerprinted
  std::string quoted_text;    // normalised and masked quoted history
  std::string signature;      // as written
  std::string from_name;      // the first From: mailbox's display name, RFC 2047 decoded
  std::string from_address;   // and its address as written
  bool from_html = false;     // the text came from an HTML part
  bool charset_unknown = false;  // a charset could not be converted: decoded as best we could
  bool names_recipient = false;  // the new text names the recipient or their company: written to them
  bool quotes_third_party = false;  // the quoted history is someone else's: neither the sender's nor the recipient's
  bool from_person = false;      // From: reads as one person ("Jane Doe <jane.doe@...>"), see writes_as_person()
  HtmlRefs html_refs;         // images and links of the HTML part, if any
  Fingerprint fingerprint;         // of new_text
  Fingerprint quoted_fingerprint;  // of quoted_text: links a follow-up to the step it quotes
  std::vector<std::string> limits_hit;  // names from text_limits.hpp, each once
};

TextFeatures extract_text_features(const Message& message, const TextLimits& limits = {});

}  // namespace pushback::scoring
