// The first, header-only analysers: a reply that belongs to no thread, and the
// limits the milter applied while collecting the message.
#include "scoring/analyse.hpp"

#include <array>
#include <string_view>

namespace pushback::scoring {

namespace {

bool has_reply_prefix(std::string_view subject) {
  static constexpr std::array<std::string_view, 6> prefixes = {"re:", "re :", "aw:", "sv:", "antw:", "r:"};
  while (!subject.empty() && (subject.front() == ' ' || subject.front() == '\t')) subject.remove_prefix(1);
  for (auto prefix : prefixes) {
    if (istarts_with(subject, prefix)) return true;
  }
  return false;
}

}  // namespace

Analysis analyse(const Message& message) {
  Analysis result;
  if (const Header* subject = message.find_header("Subject");
      subject && has_reply_prefix(subject->value) && !message.find_header("In-Reply-To") &&
      !message.find_header("References")) {
    result.symbols.push_back({"REPLY_WITHOUT_THREAD", 1.0, "Re: subject with no In-Reply-To or References"});
  }
  if (message.body_truncated) {
    result.limits_hit.emplace_back("body_bytes");
    result.symbols.push_back({"BODY_TRUNCATED", 0.0, "analysed the first part of the body only"});
  }
  if (message.headers_truncated) result.limits_hit.emplace_back("headers");
  return result;
}

}  // namespace pushback::scoring
