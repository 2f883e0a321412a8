// Feedback subjects and the LMDB record of one subject's counts.
#include "state/feedback.hpp"

#include <fmt/format.h>

#include "state/records.hpp"

namespace pushback::state {

FeedbackSubjects feedback_subjects(std::string_view sender, bool template_known, std::uint32_t template_id) {
  FeedbackSubjects out;
  if (template_known) out.template_subject = fmt::format("t:{:08x}", template_id);
  if (!sender.empty()) out.sender_subject = "s:" + std::string(sender);
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
