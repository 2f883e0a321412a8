// Wires the text stages together: MIME, HTML, quote split, normalise, fingerprint.
#include "scoring/text_features.hpp"

#include <algorithm>

#include "scoring/html_text.hpp"
#include "scoring/mime_text.hpp"
#include "scoring/normalise.hpp"
#include "scoring/personalisation.hpp"
#include "scoring/quote_split.hpp"
#include "scoring/reply_evidence.hpp"

namespace pushback::scoring {

namespace {

void note_limit(std::vector<std::string>& hit, std::string_view name) {
  if (std::find(hit.begin(), hit.end(), name) == hit.end()) hit.emplace_back(name);
}

// Cuts every line to max_length bytes; moves `mark` (an offset) along.
bool cap_lines(std::string& text, std::size_t max_length, std::size_t& mark) {
  // Most text has no line that long: look before copying.
  bool long_line = false;
  for (std::size_t at = 0; at + max_length < text.size() && !long_line;) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    long_line = end - at > max_length;
    at = end + 1;
  }
  if (!long_line) return false;
  bool cut = false;
  std::string out;
  std::size_t at = 0;
  std::size_t new_mark = std::string::npos;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (mark != std::string::npos && new_mark == std::string::npos && mark <= end) {
      new_mark = out.size() + std::min(mark - std::min(mark, at), max_length);
    }
    if (end - at > max_length) {
      if (!cut) out.reserve(text.size());
      cut = true;
    }
    out.append(text, at, std::min(end - at, max_length));
    if (end < text.size()) out.push_back('\n');
    at = end + 1;
  }
  if (!cut) return false;
  if (mark != std::string::npos) mark = new_mark == std::string::npos ? out.size() : new_mark;
  text = std::move(out);
  return true;
}

}  // namespace

TextFeatures extract_text_features(const Message& message, const TextLimits& limits) {
  TextFeatures features;
  MimeText mime = extract_mime_text(message, limits);
  features.subject = std::move(mime.subject);
  features.from_html = mime.from_html;
  features.charset_unknown = mime.charset_unknown;
  features.limits_hit = std::move(mime.limits_hit);
  if (message.headers_truncated) note_limit(features.limits_hit, limit_name::header_bytes);
  if (message.body_truncated) note_limit(features.limits_hit, limit_name::body_bytes);

  std::size_t quote_at = std::string::npos;
  if (mime.from_html) {
    HtmlText html = html_to_text(mime.text, limits.html_depth);
    features.text = std::move(html.text);
    quote_at = html.quote_at;
    features.html_refs = std::move(html.refs);
    if (html.depth_hit) note_limit(features.limits_hit, limit_name::html_depth);
  } else {
    features.text = std::move(mime.text);
    if (!mime.html.empty()) {
      HtmlText html = html_to_text(mime.html, limits.html_depth);
      features.html_refs = std::move(html.refs);
      if (html.depth_hit) note_limit(features.limits_hit, limit_name::html_depth);
    }
  }
  if (cap_lines(features.text, limits.line_length, quote_at)) note_limit(features.limits_hit, limit_name::line_length);

  SplitText split = split_quotes(features.text, quote_at);
  features.signature = std::move(split.signature);

  Personalisation personalisation = personalisation_of(mime.to, message.envelope.recipients, mime.from);

  NormalisedText fresh = normalise_text(split.new_text, personalisation, limits.tokens);
  NormalisedText quoted = normalise_text(split.quoted, personalisation, limits.quoted_tokens);
  features.subject_text =
      normalise_text(strip_subject_prefixes(features.subject).base, personalisation, limits.tokens).text;
  if (fresh.tokens_hit) note_limit(features.limits_hit, limit_name::tokens);
  if (quoted.tokens_hit) note_limit(features.limits_hit, limit_name::quoted_tokens);
  // A mail merge writes to one person; a name found in mail to a crowd is
  // just one of the many names on it.
  constexpr std::size_t personal_recipients = 2;
  features.names_recipient = fresh.names_recipient && mime.to.size() <= personal_recipients;
  features.from_person = writes_as_person(mime.from);
  if (!mime.from.empty()) {
    features.from_name = mime.from.front().name;
    features.from_address = mime.from.front().address;
  }
  features.quotes_third_party = quotes_third_party(split.quoted_author, personalisation, mime.to);
  features.written_text = std::move(split.new_text);
  features.new_text = std::move(fresh.text);
  features.quoted_text = std::move(quoted.text);
  features.fingerprint = fingerprint_text(features.new_text);
  if (!features.quoted_text.empty()) features.quoted_fingerprint = fingerprint_text(features.quoted_text);
  return features;
}

}  // namespace pushback::scoring
