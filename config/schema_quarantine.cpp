// Keys of [quarantine] (reviewing what Pushback held, the digest, expiry) and
// the weights of the feedback symbols.
#include "config/schema_parts.hpp"

namespace pushback::config::detail {

namespace {

template <typename T>
const T& as(const Value& value) {
  return std::get<T>(value);
}

std::string validate_sender(const Value& value) {
  const auto& text = as<std::string>(value);
  if (text.empty()) return {};
  auto at = text.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == text.size() ||
      text.find_first_of(" \t\r\n<>\",;") != std::string::npos) {
    return "expected a plain address such as postmaster@example.com";
  }
  return {};
}

}  // namespace

void add_quarantine_keys(std::vector<KeyInfo>& keys) {
  auto add = [&keys](KeyInfo info) { keys.push_back(std::move(info)); };

  add({.path = "weights.feedback_ham", .kind = ValueKind::number, .default_toml = "-4.0",
       .doc = "FEEDBACK_HAM: per release (or --ham feedback) of this template, at most 3 counted; negative lowers the score.",
       .min = -100, .max = 100,
       .apply = [](Config& c, const Value& v) { c.weights.feedback_ham = as<double>(v); }});
  add({.path = "weights.known_outreach", .kind = ValueKind::number, .default_toml = "6.0",
       .doc = "KNOWN_OUTREACH: an admin deleted (or marked as outreach) mail of this template or sender.",
       .min = -100, .max = 100,
       .apply = [](Config& c, const Value& v) { c.weights.known_outreach = as<double>(v); }});

  add({.path = "quarantine.mta", .kind = ValueKind::string, .default_toml = R"("auto")",
       .doc = "Whose hold queue `pushback quarantine` reviews: postfix, sendmail, or auto (postsuper found first).",
       .choices = {"auto", "postfix", "sendmail"},
       .apply = [](Config& c, const Value& v) { c.quarantine.mta = as<std::string>(v); }});
  add({.path = "quarantine.command_dir", .kind = ValueKind::string, .default_toml = R"("/usr/sbin")",
       .doc = "Directory of the MTA's queue tools (postqueue, postcat, postsuper, postconf, sendmail).",
       .apply = [](Config& c, const Value& v) { c.quarantine.command_dir = as<std::string>(v); }});
  add({.path = "quarantine.postfix_config_dir", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Postfix configuration directory (the tools' -c); empty: Postfix's default.",
       .apply = [](Config& c, const Value& v) { c.quarantine.postfix_config_dir = as<std::string>(v); }});
  add({.path = "quarantine.sendmail_config", .kind = ValueKind::string, .default_toml = R"("/etc/mail/sendmail.cf")",
       .doc = "Sendmail's configuration (sendmail -C); its QueueDirectory holds the quarantined hf files.",
       .apply = [](Config& c, const Value& v) { c.quarantine.sendmail_config = as<std::string>(v); }});
  add({.path = "quarantine.expire_after", .kind = ValueKind::duration, .default_toml = R"("14d")",
       .doc = "`pushback quarantine expire` acts on held messages older than this (unless --older-than says otherwise).",
       .min = 3600, .max = 365.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.quarantine.expire_after = as<std::chrono::seconds>(v); }});
  add({.path = "quarantine.expire_action", .kind = ValueKind::string, .default_toml = R"("delete")",
       .doc = "What expire does with them: delete, or release to delivery.",
       .choices = {"delete", "release"},
       .apply = [](Config& c, const Value& v) { c.quarantine.expire_action = as<std::string>(v); }});
  add({.path = "quarantine.digest_sender", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "From address of the digest; empty: `pushback quarantine digest --send` refuses to send.",
       .validate = validate_sender,
       .apply = [](Config& c, const Value& v) { c.quarantine.digest_sender = as<std::string>(v); }});
  add({.path = "quarantine.digest_period", .kind = ValueKind::duration, .default_toml = R"("1d")",
       .doc = "The digest lists what was held in this last period.",
       .min = 3600, .max = 31.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.quarantine.digest_period = as<std::chrono::seconds>(v); }});
  add({.path = "quarantine.release_contact", .kind = ValueKind::string, .default_toml = R"("your mail administrator")",
       .doc = "Who the digest tells recipients to ask for a release (an address or a team).",
       .apply = [](Config& c, const Value& v) { c.quarantine.release_contact = as<std::string>(v); }});
}

}  // namespace pushback::config::detail
