// Keys of [policy] (thresholds, actions, allowlists) and [symbol_limits]
// (where the graded symbols start).
#include "config/schema_parts.hpp"

namespace pushback::config::detail {

namespace {

template <typename T>
const T& as(const Value& value) {
  return std::get<T>(value);
}

std::string validate_reply_text(const Value& value) {
  const auto& text = as<std::string>(value);
  if (text.empty() || text.size() > 200) return "expected 1 to 200 characters";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return "only printable ASCII is allowed in an SMTP reply";
  }
  return {};
}

}  // namespace

void add_policy_keys(std::vector<KeyInfo>& keys) {
  auto add = [&keys](KeyInfo info) { keys.push_back(std::move(info)); };
  using Strings = std::vector<std::string>;

  add({.path = "policy.mode", .kind = ValueKind::string, .default_toml = R"("enforce")",
       .doc = "monitor computes everything and only adds headers (the first step of a deployment); enforce acts.",
       .choices = {"enforce", "monitor"},
       .apply = [](Config& c, const Value& v) {
         c.policy.mode = as<std::string>(v) == "monitor" ? Mode::monitor : Mode::enforce;
       }});
  add({.path = "policy.tag_threshold", .kind = ValueKind::number, .default_toml = "5.0",
       .doc = "Score from which a message is tagged (headers, optional subject tag).", .min = -1000, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.policy.tag_threshold = as<double>(v); }});
  add({.path = "policy.quarantine_threshold", .kind = ValueKind::number, .default_toml = "11.0",
       .doc = "Score from which a message goes to the MTA's hold queue.", .min = -1000, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.policy.quarantine_threshold = as<double>(v); }});
  add({.path = "policy.reject_threshold", .kind = ValueKind::number, .default_toml = "20.0",
       .doc = "Score from which a message is refused with 550 5.7.1.", .min = -1000, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.policy.reject_threshold = as<double>(v); }});
  add({.path = "policy.refuse_at_rcpt_streak", .kind = ValueKind::integer, .default_toml = "8",
       .doc = "Refuse a recipient at RCPT once the sender's unanswered streak to them reached this; 0 never.",
       .min = 0, .max = 10000,
       .apply = [](Config& c, const Value& v) { c.policy.refuse_at_rcpt_streak = as<std::int64_t>(v); }});
  add({.path = "policy.rate_limit_tempfail", .kind = ValueKind::boolean, .default_toml = "false",
       .doc = "Answer refusals that rates drove (PAIR_RATE, SENDER_RATE strongest) with 451 4.7.1 instead of 550.",
       .apply = [](Config& c, const Value& v) { c.policy.rate_limit_tempfail = as<bool>(v); }});
  add({.path = "policy.subject_tag", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Text put before the subject of tagged messages, e.g. \"[Outreach]\"; empty leaves subjects alone.",
       .apply = [](Config& c, const Value& v) { c.policy.subject_tag = as<std::string>(v); }});
  add({.path = "policy.reject_text", .kind = ValueKind::string,
       .default_toml = R"("this recipient has not replied to your last {streak} messages")",
       .doc = "Text of the 550 5.7.1 reply at end of message; {streak} is replaced.",
       .validate = validate_reply_text,
       .apply = [](Config& c, const Value& v) { c.policy.reject_text = as<std::string>(v); }});
  add({.path = "policy.rcpt_reject_text", .kind = ValueKind::string,
       .default_toml = R"("this recipient has not replied to your last {streak} messages")",
       .doc = "Text of the 550 5.7.1 reply refusing one recipient at RCPT; {streak} is replaced.",
       .validate = validate_reply_text,
       .apply = [](Config& c, const Value& v) { c.policy.rcpt_reject_text = as<std::string>(v); }});
  add({.path = "policy.tempfail_text", .kind = ValueKind::string,
       .default_toml = R"("too many messages to this organisation, try again later")",
       .doc = "Text of the 451 4.7.1 reply when policy.rate_limit_tempfail applies.",
       .validate = validate_reply_text,
       .apply = [](Config& c, const Value& v) { c.policy.tempfail_text = as<std::string>(v); }});
  add({.path = "policy.quarantine_lists", .kind = ValueKind::boolean, .default_toml = "false",
       .doc = "Let subscribed list mail (List-Id with List-Unsubscribe or list headers) be quarantined or refused.",
       .apply = [](Config& c, const Value& v) { c.policy.quarantine_lists = as<bool>(v); }});
  add({.path = "policy.allow_senders", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Envelope senders that always pass.",
       .apply = [](Config& c, const Value& v) { c.policy.allow_senders = lower_list(v); }});
  add({.path = "policy.allow_domains", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Sender domains (and their subdomains) that always pass.",
       .apply = [](Config& c, const Value& v) { c.policy.allow_domains = lower_list(v); }});
  add({.path = "policy.allow_recipients", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Recipients who opted out: mail to them is never tagged, held or refused.",
       .apply = [](Config& c, const Value& v) { c.policy.allow_recipients = lower_list(v); }});
  add({.path = "policy.allow_networks", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Client networks (CIDR) whose mail always passes.",
       .validate = validate_networks,
       .apply = [](Config& c, const Value& v) { c.policy.allow_networks = networks_of(v); }});
  add({.path = "policy.allow_auth_users", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Authenticated users ({auth_authen}) whose mail always passes.",
       .apply = [](Config& c, const Value& v) { c.policy.allow_auth_users = as<Strings>(v); }});
  add({.path = "policy.block_senders", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Envelope senders that are always refused.",
       .apply = [](Config& c, const Value& v) { c.policy.block_senders = lower_list(v); }});
  add({.path = "policy.block_domains", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Sender domains (and their subdomains) that are always refused.",
       .apply = [](Config& c, const Value& v) { c.policy.block_domains = lower_list(v); }});

  add({.path = "symbol_limits.unanswered_streak_cap", .kind = ValueKind::integer, .default_toml = "10",
       .doc = "UNANSWERED_STREAK counts at most this many unanswered messages.", .min = 2, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.unanswered_streak_cap = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.pair_rate_messages", .kind = ValueKind::integer, .default_toml = "2",
       .doc = "PAIR_RATE fires beyond this many messages to one recipient in the shortest window.", .min = 1,
       .max = 10000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.pair_rate_messages = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.sender_rate_recipients", .kind = ValueKind::integer, .default_toml = "20",
       .doc = "SENDER_RATE fires once a sender reached this many recipients in the shortest window.", .min = 1,
       .max = 1000000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.sender_rate_recipients = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.rotation_mailboxes", .kind = ValueKind::integer, .default_toml = "3",
       .doc = "ROTATION fires once one campaign wrote from this many mailboxes...", .min = 2, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.rotation_mailboxes = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.rotation_domains", .kind = ValueKind::integer, .default_toml = "2",
       .doc = "...or from this many sending domains.", .min = 2, .max = 1000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.rotation_domains = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.template_bulk_recipients", .kind = ValueKind::integer, .default_toml = "10",
       .doc = "TEMPLATE_BULK fires once a template reached this many recipients in the longest window.", .min = 2,
       .max = 1000000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.template_bulk_recipients = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.mail_merge_recipients", .kind = ValueKind::integer, .default_toml = "3",
       .doc = "MAIL_MERGE fires once one text, each copy with its recipient's name, reached this many recipients.",
       .min = 2, .max = 1000000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.mail_merge_recipients = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.outreach_template_recipients", .kind = ValueKind::integer, .default_toml = "3",
       .doc = "Streak, rate and sequence symbols need outreach evidence: a pitch from or to a person whose template, or "
              "whose sender (campaign), reached this many recipients,",
       .min = 2, .max = 1000000,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.outreach_template_recipients = as<std::int64_t>(v); }});
  add({.path = "symbol_limits.outreach_phrase_weight", .kind = ValueKind::number, .default_toml = "0.5",
       .doc = "...or a follow-up phrase at least this strong (lexicon weight), a fake reply or sales tooling.",
       .min = 0, .max = 1,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.outreach_phrase_weight = as<double>(v); }});
  add({.path = "symbol_limits.cold_pitch_probability", .kind = ValueKind::number, .default_toml = "0.5",
       .doc = "COLD_PITCH fires from this probability of the text model; it is then also outreach evidence for the "
              "streak symbols.",
       .min = 0.05, .max = 1,
       .apply = [](Config& c, const Value& v) { c.symbol_limits.cold_pitch_probability = as<double>(v); }});
}

}  // namespace pushback::config::detail
