// Feedback subjects and the LMDB record of one subject's counts.
#include "state/feedback.hpp"

#include <fmt/format.h>

#include "state/records.hpp"

namespace pushback::state {

std::string_view to_string(FeedbackKind kind) { return kind == FeedbackKind::ham ? "ham" : "outreach"; }

std::string_view to_string(FeedbackSource source) {
  switch (source) {
    case FeedbackSource::release:
      return "release";
    case FeedbackSource::remove:
      return "delete";
    case FeedbackSource::report:
      return "report";
  }
  return "report";
}

std::string feedback_total_name(FeedbackKind kind, FeedbackSource source) {
  return fmt::format("{}:{}", to_string(kind), to_string(source));
}

std::vector<FeedbackTotal> feedback_totals_of(const std::vector<std::pair<std::string, std::uint64_t>>& named) {
  std::vector<FeedbackTotal> out;
  for (auto kind : {FeedbackKind::ham, FeedbackKind::outreach}) {
    for (auto source : {FeedbackSource::release, FeedbackSource::remove, FeedbackSource::report}) {
      FeedbackTotal total{std::string(to_string(kind)), std::string(to_string(source)), 0};
      for (const auto& [name, count] : named) {
        if (name == feedback_total_name(kind, source)) total.count = count;
      }
      out.push_back(std::move(total));
    }
  }
  return out;
}

FeedbackSubjects feedback_subjects(std::string_view sender, bool template_known, std::uint32_t template_id,
                                   std::uint32_t campaign) {
  FeedbackSubjects out;
  if (template_known) out.template_subject = fmt::format("t:{:08x}", template_id);
  if (!sender.empty()) out.sender_subject = "s:" + std::string(sender);
  if (campaign != 0) out.campaign_subject = fmt::format("c:{:08x}", campaign);
  return out;
}

namespace detail {

std::string FeedbackRecord::encode() const { return encode_u32(touched) + encode_u32(ham) + encode_u32(outreach); }

FeedbackRecord FeedbackRecord::decode(std::string_view bytes) {
  FeedbackRecord record;
  if (bytes.size() < 12) return record;
  record.touched = decode_u32(bytes);
  record.ham = decode_u32(bytes.substr(4));
  record.outreach = decode_u32(bytes.substr(8));
  return record;
}

}  // namespace detail

}  // namespace pushback::state
