// The configuration schema: the keys of [milter], [log], [headers], [analysis],
// [weights] and [metrics] here, [state], [direction], [policy] and
// [symbol_limits] in schema_state.cpp and schema_policy.cpp, [web] in schema_web.cpp. Adding a key means
// adding one entry and a field in config.hpp; loader, checks and docs follow.
#include "config/schema.hpp"

#include "config/schema_parts.hpp"

#include <fmt/format.h>

namespace pushback::config {

namespace {

template <typename T>
const T& as(const Value& value) {
  return std::get<T>(value);
}

std::string validate_socket(const Value& value) {
  std::string error;
  return parse_socket_spec(as<std::string>(value), error) ? std::string{} : error;
}

std::string validate_octal_mode(const Value& value) {
  const auto& text = as<std::string>(value);
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    return "expected an octal mode such as \"0660\"";
  }
  return {};
}

std::vector<KeyInfo> build_schema() {
  std::vector<KeyInfo> keys;
  auto add = [&keys](KeyInfo info) { keys.push_back(std::move(info)); };

  // [milter]
  add({.path = "milter.socket", .kind = ValueKind::string,
       .default_toml = R"("unix:/var/spool/postfix/pushback/pushback.sock")",
       .doc = "Where the milter listens: unix:PATH, local:PATH, inet:PORT@HOST, inet:HOST:PORT or inet6:PORT@HOST.",
       .validate = validate_socket,
       .apply = [](Config& c, const Value& v) {
         std::string error;
         c.milter.socket = *parse_socket_spec(as<std::string>(v), error);
       }});
  add({.path = "milter.user", .kind = ValueKind::string, .default_toml = R"("pushback")",
       .doc = "Account the daemon switches to when started as root; empty keeps the current one.",
       .apply = [](Config& c, const Value& v) { c.milter.user = as<std::string>(v); }});
  add({.path = "milter.group", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Group the daemon switches to; empty uses the user's primary group.",
       .apply = [](Config& c, const Value& v) { c.milter.group = as<std::string>(v); }});
  add({.path = "milter.pid_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "File that receives the daemon's process id; empty writes none.",
       .apply = [](Config& c, const Value& v) { c.milter.pid_file = as<std::string>(v); }});
  add({.path = "milter.socket_mode", .kind = ValueKind::string, .default_toml = R"("0660")",
       .doc = "Permissions of a unix socket, in octal, so that the MTA's group can connect.",
       .validate = validate_octal_mode,
       .apply = [](Config& c, const Value& v) {
         c.milter.socket_mode = static_cast<std::uint32_t>(std::stoul(as<std::string>(v), nullptr, 8));
       }});
  add({.path = "milter.timeout", .kind = ValueKind::duration, .default_toml = R"("5m")",
       .doc = "How long a milter connection may stay silent; libmilter closes such connections when it checks, every 10 minutes.",
       .min = 1, .max = 86400,
       .apply = [](Config& c, const Value& v) { c.milter.timeout = as<std::chrono::seconds>(v); }});
  add({.path = "milter.on_error", .kind = ValueKind::string, .default_toml = R"("accept")",
       .doc = "What an internal error does to the message: accept it unfiltered, or tempfail it (451 4.7.1).",
       .choices = {"accept", "tempfail"},
       .apply = [](Config& c, const Value& v) {
         c.milter.on_error = as<std::string>(v) == "tempfail" ? FailureAction::tempfail : FailureAction::accept;
       }});
  add({.path = "milter.max_body_bytes", .kind = ValueKind::integer, .default_toml = "262144",
       .doc = "Body bytes collected per message; the rest is skipped and the message is analysed as truncated.",
       .min = 1024, .max = 64.0 * 1024 * 1024,
       .apply = [](Config& c, const Value& v) { c.milter.max_body_bytes = as<std::int64_t>(v); }});
  add({.path = "milter.max_header_count", .kind = ValueKind::integer, .default_toml = "1000",
       .doc = "Headers collected per message; later ones are still passed on but not analysed.",
       .min = 10, .max = 100000,
       .apply = [](Config& c, const Value& v) { c.milter.max_header_count = as<std::int64_t>(v); }});
  add({.path = "milter.max_header_bytes", .kind = ValueKind::integer, .default_toml = "65536",
       .doc = "Bytes kept of one header value; a longer value is truncated for analysis.",
       .min = 256, .max = 16.0 * 1024 * 1024,
       .apply = [](Config& c, const Value& v) { c.milter.max_header_bytes = as<std::int64_t>(v); }});
  add({.path = "milter.max_recipients", .kind = ValueKind::integer, .default_toml = "1000",
       .doc = "Envelope recipients remembered per message; more are accepted but not counted.",
       .min = 1, .max = 100000,
       .apply = [](Config& c, const Value& v) { c.milter.max_recipients = as<std::int64_t>(v); }});

  // [log]
  add({.path = "log.target", .kind = ValueKind::string, .default_toml = R"("stderr")",
       .doc = "Where log lines go: stderr (foreground, the journal) or syslog.",
       .choices = {"stderr", "syslog"},
       .apply = [](Config& c, const Value& v) {
         c.log.target = as<std::string>(v) == "syslog" ? LogTarget::syslog : LogTarget::stderr_stream;
       }});
  add({.path = "log.level", .kind = ValueKind::string, .default_toml = R"("info")",
       .doc = "Least severe level logged.",
       .choices = {"trace", "debug", "info", "warning", "error", "critical", "off"},
       .apply = [](Config& c, const Value& v) { c.log.level = as<std::string>(v); }});
  add({.path = "log.facility", .kind = ValueKind::string, .default_toml = R"("mail")",
       .doc = "Syslog facility when log.target is syslog.",
       .choices = {"mail", "daemon", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"},
       .apply = [](Config& c, const Value& v) { c.log.facility = as<std::string>(v); }});

  // [headers]
  add({.path = "headers.add_report", .kind = ValueKind::boolean, .default_toml = "true",
       .doc = "Add X-Pushback-Report with every symbol and its reason (X-Pushback-Score is always added).",
       .apply = [](Config& c, const Value& v) { c.headers.add_report = as<bool>(v); }});
  add({.path = "headers.max_report_length", .kind = ValueKind::integer, .default_toml = "2000",
       .doc = "Characters of X-Pushback-Report at most; the least weighty symbols are left out first.",
       .min = 100, .max = 16000,
       .apply = [](Config& c, const Value& v) { c.headers.max_report_length = as<std::int64_t>(v); }});

  // [analysis]
  add({.path = "analysis.phrases_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Follow-up phrase lexicon (TOML); empty uses followup_phrases.toml from the installed data directory.",
       .apply = [](Config& c, const Value& v) { c.analysis.phrases_file = as<std::string>(v); }});
  add({.path = "analysis.markers_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Sales-engagement markers (TOML); empty uses outreach_markers.toml from the installed data directory.",
       .apply = [](Config& c, const Value& v) { c.analysis.markers_file = as<std::string>(v); }});
  add({.path = "analysis.campaign_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Campaign identity data (TOML: brand affixes of lookalike domains, shared infrastructure); empty uses "
              "campaign_identity.toml from the installed data directory.",
       .apply = [](Config& c, const Value& v) { c.analysis.campaign_file = as<std::string>(v); }});
  add({.path = "analysis.cold_pitch_model", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Text model that reads a cold pitch or follow-up (COLD_PITCH), made by `pushback model train`; empty "
              "uses cold_pitch.model from the installed data directory, \"none\" runs without it.",
       .apply = [](Config& c, const Value& v) { c.analysis.cold_pitch_model = as<std::string>(v); }});
  add({.path = "analysis.phrase_engine", .kind = ValueKind::string, .default_toml = R"("vectorscan")",
       .doc = "Multi-pattern engine for the lexicon: vectorscan (faster, measured) or re2_set.",
       .choices = {"vectorscan", "re2_set"},
       .apply = [](Config& c, const Value& v) { c.analysis.phrase_engine = as<std::string>(v); }});

  // [weights]
  auto weight = [&add](std::string_view path, std::string_view default_toml, std::string_view doc,
                       double SymbolWeights::*field) {
    add({.path = path, .kind = ValueKind::number, .default_toml = default_toml, .doc = doc, .min = -100, .max = 100,
         .apply = [field](Config& c, const Value& v) {
           c.weights.*field = as<double>(v);
         }});
  };
  weight("weights.followup_phrase", "4.0",
         "FOLLOWUP_PHRASE: follow-up wording in the new text, times the strongest phrase's lexicon weight (0 to 1).",
         &SymbolWeights::followup_phrase);
  weight("weights.outreach_platform", "3.0", "OUTREACH_PLATFORM: a sales-engagement platform's header, times its weight.",
         &SymbolWeights::outreach_platform);
  weight("weights.tracking_pixel", "2.0", "TRACKING_PIXEL: an open-tracking image, times its weight.",
         &SymbolWeights::tracking_pixel);
  weight("weights.link_tracking", "1.0", "LINK_TRACKING: links through a click-tracking host, times its weight.",
         &SymbolWeights::link_tracking);
  weight("weights.booking_link", "0.5", "BOOKING_LINK: a meeting-booking link, times its weight.",
         &SymbolWeights::booking_link);
  weight("weights.reply_without_thread", "1.5",
         "REPLY_WITHOUT_THREAD: a Re: subject with no In-Reply-To or References.",
         &SymbolWeights::reply_without_thread);
  weight("weights.unanswered_streak", "2.0",
         "UNANSWERED_STREAK: per unanswered message to this recipient after the first (capped).",
         &SymbolWeights::unanswered_streak);
  weight("weights.pair_rate", "1.0", "PAIR_RATE: per message to one recipient beyond the limit in the shortest window.",
         &SymbolWeights::pair_rate);
  weight("weights.sender_rate", "2.0", "SENDER_RATE: the sender wrote to many of our users in the shortest window.",
         &SymbolWeights::sender_rate);
  weight("weights.template_bulk", "3.0", "TEMPLATE_BULK: the same template reached many distinct recipients.",
         &SymbolWeights::template_bulk);
  weight("weights.fake_reply", "2.5", "FAKE_REPLY: a reply (Re:, In-Reply-To) to nothing our users sent.",
         &SymbolWeights::fake_reply);
  weight("weights.sequence_step", "3.0",
         "SEQUENCE_STEP: this follows an earlier, different template of the same sender to the same recipient.",
         &SymbolWeights::sequence_step);
  weight("weights.rotation", "2.0",
         "ROTATION: the campaign of the sender writes from several mailboxes or lookalike domains (a sales tool's inbox "
         "rotation); half as much again for each domain beyond symbol_limits.rotation_domains, at most twice.",
         &SymbolWeights::rotation);
  weight("weights.cold_pitch", "5.5",
         "COLD_PITCH: the text model reads the subject and new text as a sales pitch or follow-up; this weight times "
         "its probability, from symbol_limits.cold_pitch_probability up, counted only while the other evidence stays under "
         "the tag threshold: alone it tags a clear pitch (5.5 x p reaches 5.0 from p = 0.91), it never holds one.",
         &SymbolWeights::cold_pitch);
  weight("weights.mail_merge", "5.0",
         "MAIL_MERGE: the same text, with each recipient's own name or company filled in, reached "
         "symbol_limits.mail_merge_recipients of our users in as many messages (a mail merge, not one message to "
         "several people).",
         &SymbolWeights::mail_merge);
  weight("weights.dialogue", "-20.0", "DIALOGUE: the recipient has written to the sender; a conversation is never the target.",
         &SymbolWeights::dialogue);

  detail::add_state_keys(keys);
  detail::add_policy_keys(keys);
  detail::add_quarantine_keys(keys);

  // [metrics]
  add({.path = "metrics.enabled", .kind = ValueKind::boolean, .default_toml = "true",
       .doc = "Serve Prometheus metrics over HTTP at metrics.listen, path /metrics.",
       .apply = [](Config& c, const Value& v) { c.metrics.enabled = as<bool>(v); }});
  add({.path = "metrics.listen", .kind = ValueKind::string, .default_toml = R"("127.0.0.1:9893")",
       .doc = "Address of the metrics endpoint, HOST:PORT or [IPv6]:PORT; loopback unless allowed below.",
       .apply = [](Config& c, const Value& v) { c.metrics.listen = as<std::string>(v); }});
  add({.path = "metrics.allow_non_loopback", .kind = ValueKind::boolean, .default_toml = "false",
       .doc = "Let metrics.listen be a non-loopback address (the endpoint has no authentication).",
       .apply = [](Config& c, const Value& v) { c.metrics.allow_non_loopback = as<bool>(v); }});
  detail::add_web_keys(keys);
  return keys;
}

}  // namespace

std::string_view to_string(ValueKind kind) {
  switch (kind) {
    case ValueKind::string: return "string";
    case ValueKind::integer: return "integer";
    case ValueKind::number: return "number";
    case ValueKind::boolean: return "boolean";
    case ValueKind::duration: return "duration";
    case ValueKind::string_list: return "list of strings";
  }
  return "?";
}

std::span<const KeyInfo> schema() {
  static const std::vector<KeyInfo> keys = build_schema();
  return keys;
}

namespace {

// "`a`, `b`" for choices (each wrapped in `quote`), "MIN to MAX" for bounds, "" otherwise.
std::string allowed_values(const KeyInfo& key, std::string_view quote) {
  std::string allowed;
  if (!key.choices.empty()) {
    for (auto choice : key.choices) allowed += fmt::format("{}{}{}{}", allowed.empty() ? "" : ", ", quote, choice, quote);
  } else if (key.min != key.max) {
    allowed = fmt::format("{} to {}{}", key.min, key.max, key.kind == ValueKind::duration ? " seconds" : "");
  }
  return allowed;
}

}  // namespace

std::string schema_markdown() {
  std::string out = "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& key : schema()) {
    std::string allowed = allowed_values(key, "`");
    out += fmt::format("| `{}` | {} | `{}` | {} | {} |\n", key.path, to_string(key.kind),
                       key.default_toml, allowed, key.doc);
  }
  return out;
}

}  // namespace pushback::config

namespace pushback::config {

namespace {

// roff treats a leading '.' or "'" as a request and '\\' as an escape.
std::string roff_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out.push_back(c);
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

}  // namespace

std::string schema_roff() {
  std::string out;
  std::string_view section;
  for (const auto& key : schema()) {
    auto dot = key.path.rfind('.');
    if (key.path.substr(0, dot) != section) {
      section = key.path.substr(0, dot);
      out += fmt::format(".SS [{}]\n", section);
    }
    out += fmt::format(".TP\n.B {}\n", roff_escape(key.path.substr(dot + 1)));
    std::string allowed = allowed_values(key, "");
    if (!allowed.empty()) allowed = (key.choices.empty() ? "; " : "; one of ") + allowed;
    out += fmt::format("({}, default {}{})\n.br\n{}\n", to_string(key.kind), roff_escape(key.default_toml),
                       roff_escape(allowed), roff_escape(key.doc));
  }
  return out;
}

}  // namespace pushback::config
