// `pushback quarantine list|show|release|delete|expire`: what Pushback held in
// the MTA's hold queue, recognised by the seal of its own verdict. Release and
// delete are logged with who and why and feed back into the state (a release
// is "not outreach", a delete is "outreach"); expire only cleans up.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/digest.hpp"
#include "cli/quarantine.hpp"
#include "cli/review.hpp"
#include "config/schema_parts.hpp"
#include "scoring/header_text.hpp"
#include "state/address.hpp"

namespace pushback::cli {

namespace {

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string age_text(std::int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", std::max<std::int64_t>(0, seconds));
  if (seconds < 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

std::string utc(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::optional<std::int64_t> parse_age(const std::string& text, const char* command) {
  if (text.empty()) return std::nullopt;
  auto parsed = config::detail::parse_duration_text(text);
  if (!parsed) {
    std::fprintf(stderr, "pushback %s: --older-than: \"%s\" is not a duration (e.g. 12h, 3d)\n", command, text.c_str());
    return -1;
  }
  return parsed->count();
}

bool matches(const quarantine::HeldMessage& held, const QuarantineOptions& options, std::optional<std::int64_t> older) {
  if (!options.sender.empty() &&
      state::normalise_address(held.entry.sender) != state::normalise_address(options.sender)) {
    return false;
  }
  if (!options.recipient.empty()) {
    auto wanted = state::normalise_address(options.recipient);
    if (std::none_of(held.entry.recipients.begin(), held.entry.recipients.end(),
                     [&](const std::string& r) { return state::normalise_address(r) == wanted; })) {
      return false;
    }
  }
  return !older || now_seconds() - held.entry.arrival_time > *older;
}

nlohmann::json to_json(const quarantine::HeldMessage& held) {
  return {{"queue_id", held.entry.queue_id},
          {"arrival_time", held.entry.arrival_time},
          {"age_seconds", now_seconds() - held.entry.arrival_time},
          {"sender", held.entry.sender},
          {"recipients", held.entry.recipients},
          {"subject", held.subject},
          {"message_id", held.message_id},
          {"score", held.verdict.score},
          {"judged_at", held.verdict.time},
          {"template", held.verdict.template_known ? fmt::format("{:08x}", held.verdict.template_id) : ""},
          {"symbols", held.verdict.symbols}};
}

// The length of the valid UTF-8 sequence at `at` (overlongs, surrogates and
// code points over U+10FFFF are invalid); 0 when there is none.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || at + length > text.size()) return 0;
  std::uint32_t code = length == 1 ? lead : lead & (0x7fu >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3f);
  }
  static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

// Text from a held message, safe for a terminal: control characters other
// than line ends and tabs, and bytes that are not UTF-8, become '?'.
std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    std::size_t length = utf8_length(text, at);
    auto u = static_cast<unsigned char>(text[at]);
    if (length == 0 || (length == 1 && ((u < 32 && u != '\n' && u != '\t') || u == 127))) {
      out.push_back('?');
      at += length == 0 ? 1 : length;
      continue;
    }
    out.append(text.substr(at, length));
    at += length;
  }
  return out;
}

int list(Review& review, const QuarantineOptions& options) {
  auto older = parse_age(options.older_than, "quarantine list");
  if (older && *older < 0) return 2;
  auto listing = list_ours(review, "quarantine list");
  if (!listing.ok) return 1;
  std::size_t shown = 0;
  for (const auto& held : listing.ours) {
    if (!matches(held, options, older)) continue;
    ++shown;
    if (options.json) {
      std::puts(to_json(held).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      continue;
    }
    fmt::print("{}  {:>4}  score {:>5}  from {}  to {}\n    {}\n    {}\n", held.entry.queue_id,
               age_text(now_seconds() - held.entry.arrival_time), held.verdict.score,
               held.entry.sender.empty() ? "<>" : held.entry.sender, fmt::join(held.entry.recipients, ", "),
               held.subject.empty() ? "(no subject)" : held.subject, fmt::join(held.verdict.symbols, " "));
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%zu held by Pushback shown", shown);
  if (listing.others > 0) std::fprintf(stderr, "; %zu other held message(s) are not Pushback's", listing.others);
  std::fputc('\n', stderr);
  return 0;
}

// The held message `id` if Pushback holds it; says why not on stderr.
std::optional<quarantine::HeldMessage> find_ours(Review& review, const HeldListing& listing, const std::string& id,
                                                 const char* command) {
  if (!review.queue->valid_id(id)) {
    std::fprintf(stderr, "pushback %s: \"%s\" is not a %s queue id\n", command, terminal_safe(id).c_str(),
                 std::string(review.queue->name()).c_str());
    return std::nullopt;
  }
  for (const auto& held : listing.ours) {
    if (held.entry.queue_id == id) return held;
  }
  std::fprintf(stderr, "pushback %s: %s: not held by Pushback (not in the hold queue, or without a valid seal)\n",
               command, id.c_str());
  return std::nullopt;
}

int show(Review& review, const QuarantineOptions& options) {
  if (options.ids.size() != 1) {
    std::fputs("pushback quarantine show: name one queue id\n", stderr);
    return 2;
  }
  auto listing = list_ours(review, "quarantine show");
  if (!listing.ok) return 1;
  auto held = find_ours(review, listing, options.ids.front(), "quarantine show");
  if (!held) return 1;
  std::string error;
  auto text = review.queue->message_text(held->entry.queue_id, error);
  if (!text) {
    std::fprintf(stderr, "pushback quarantine show: %s: %s\n", held->entry.queue_id.c_str(), error.c_str());
    return 1;
  }
  fmt::print("queue id:   {}\narrived:    {}\nsender:     {}\nrecipients: {}\n", held->entry.queue_id,
             utc(held->entry.arrival_time), held->entry.sender.empty() ? "<>" : held->entry.sender,
             fmt::join(held->entry.recipients, ", "));
  fmt::print("verdict:    {} at score {} ({}), template {}\nsymbols:    {}\nreport:     {}\n\n", held->verdict.action,
             held->verdict.score, utc(held->verdict.time),
             held->verdict.template_known ? fmt::format("{:08x}", held->verdict.template_id) : "unknown",
             fmt::join(held->verdict.symbols, " "), held->report.empty() ? "(none)" : held->report);
  auto blank = text->find("\n\n");
  std::string_view headers = std::string_view(*text).substr(0, blank == std::string::npos ? text->size() : blank + 1);
  std::fputs(terminal_safe(headers).c_str(), stdout);
  if (options.body && blank != std::string::npos) {
    std::fputs("\n", stdout);
    std::fputs(terminal_safe(std::string_view(*text).substr(blank + 2)).c_str(), stdout);
  }
  return 0;
}

int release_or_delete(Review& review, const QuarantineOptions& options, bool release) {
  const char* command = release ? "quarantine release" : "quarantine delete";
  if (options.ids.empty()) {
    std::fprintf(stderr, "pushback %s: name at least one queue id\n", command);
    return 2;
  }
  for (const auto& missing : {review.queue->missing_read_rights(), review.queue->missing_change_rights()}) {
    if (!missing.empty()) {
      std::fprintf(stderr, "pushback %s: %s\n", command, missing.c_str());
      return 77;
    }
  }
  auto listing = list_ours(review, command);
  if (!listing.ok) return 1;
  // Without feedback the store is still asked for the console's daily counts,
  // but a store that cannot be opened stops nothing.
  state::Store* store = open_store(review, command);
  if (!options.no_feedback && !store) return 1;
  int status = 0;
  std::string who = who_ran();
  std::string why = options.reason.empty() ? "no reason given" : scoring::sanitise_header_value(options.reason);
  for (const auto& id : options.ids) {
    auto held = find_ours(review, listing, id, command);
    if (!held) {
      status = 1;
      continue;
    }
    auto decision = release_or_delete_held(review, *held, release, store, who, why, !options.no_feedback);
    if (!decision.done) {
      std::fprintf(stderr, "pushback %s: %s: left in the hold queue: %s\n", command, id.c_str(),
                   decision.message.c_str());
      status = 1;
      continue;
    }
    if (!decision.feedback_saved) status = 1;
  }
  return status;
}

int expire(Review& review, const QuarantineOptions& options) {
  auto older = parse_age(options.older_than, "quarantine expire");
  if (older && *older < 0) return 2;
  std::int64_t limit = older ? *older : review.config->quarantine.expire_after.count();
  bool release = review.config->quarantine.expire_action == "release";
  if (!options.dry_run) {
    for (const auto& missing : {review.queue->missing_read_rights(), review.queue->missing_change_rights()}) {
      if (!missing.empty()) {
        std::fprintf(stderr, "pushback quarantine expire: %s\n", missing.c_str());
        return 77;
      }
    }
  }
  auto listing = list_ours(review, "quarantine expire");
  if (!listing.ok) return 1;
  int status = 0;
  std::size_t done = 0;
  std::string who = who_ran();
  for (const auto& held : listing.ours) {
    std::int64_t age = now_seconds() - held.entry.arrival_time;
    if (age <= limit) continue;
    if (options.dry_run) {
      fmt::print("would {} {} (held {})\n", release ? "release" : "delete", held.entry.queue_id, age_text(age));
      continue;
    }
    auto result = release ? review.queue->release(held.entry.queue_id) : review.queue->remove(held.entry.queue_id);
    if (!result.ok) {
      std::fprintf(stderr, "pushback quarantine expire: %s: left in the hold queue: %s\n", held.entry.queue_id.c_str(),
                   result.message.c_str());
      status = 1;
      continue;
    }
    ++done;
    // Expiry is housekeeping, not a judgement on the message: no feedback.
    audit(fmt::format("quarantine expired: {} {} from=<{}> after {} by {}", held.entry.queue_id,
                      release ? "released" : "deleted", held.entry.sender, age_text(age), who));
  }
  std::fprintf(stderr, "%zu held message(s) older than %s %s\n", done, age_text(limit).c_str(),
               release ? "released" : "deleted");
  // The console's "quarantine per day"; a store that cannot take them stops nothing.
  if (done > 0) {
    auto* store = open_store(review, "quarantine expire");
    if (!store || !count_quarantine_decisions(*store, release, done)) {
      std::fputs("pushback quarantine expire: not counted in the daily counts: the state store is unavailable\n", stderr);
    }
  }
  return status;
}

}  // namespace

int quarantine(const QuarantineOptions& options) {
  std::string command = "quarantine " + options.command;
  auto review = open_review(options.config_path, command.c_str());
  if (!review) return 78;
  if (auto missing = review->queue->missing_read_rights(); !missing.empty()) {
    std::fprintf(stderr, "pushback %s: %s\n", command.c_str(), missing.c_str());
    return 77;
  }
  if (options.command == "list") return list(*review, options);
  if (options.command == "show") return show(*review, options);
  if (options.command == "release") return release_or_delete(*review, options, true);
  if (options.command == "delete") return release_or_delete(*review, options, false);
  if (options.command == "expire") return expire(*review, options);
  if (options.command == "digest") {
    auto listing = list_ours(*review, "quarantine digest");
    if (!listing.ok) return 1;
    return digest(*review->config, listing.ours, options.send, now_seconds());
  }
  return 2;
}

}  // namespace pushback::cli
