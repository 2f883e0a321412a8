// Admin commands on the state: inspect, top, forget, allow (of a sender or a
// whole campaign). They open the
// configured store (LMDB beside a running daemon, or Redis) directly.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "config/load.hpp"
#include "milter/privileges.hpp"
#include "milter/state_bridge.hpp"
#include "scoring/organisation.hpp"
#include "state/address.hpp"

namespace pushback::cli {

namespace {

std::unique_ptr<state::Store> open_configured_store(const std::string& config_path,
                                                   std::shared_ptr<const config::CampaignIdentityData>& identity) {
  auto loaded = config::load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "pushback: %s\n", error.to_string().c_str());
    return nullptr;
  }
  identity = loaded.config->analysis.campaign_identity;
  // As root: the daemon's user from here on, so that nothing this command
  // creates in the state directory is root's.
  std::string error;
  if (!milter::become_state_owner(*loaded.config, error)) {
    std::fprintf(stderr, "pushback: %s\n", error.c_str());
    return nullptr;
  }
  try {
    return state::open_store(milter::store_settings(loaded.config->state), std::make_shared<state::SystemClock>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pushback: cannot open the state store: %s\n", e.what());
    return nullptr;
  }
}

std::string when(state::TimePoint time) {
  if (time == state::TimePoint{}) return "never";
  return fmt::format("{:%Y-%m-%d %H:%M}", fmt::gmtime(std::chrono::system_clock::to_time_t(time)));
}

std::string windows_header(const std::vector<std::chrono::seconds>& windows) {
  std::string out;
  for (auto w : windows) out += fmt::format("{}{}d", out.empty() ? "" : "/", w.count() / 86400);
  return out;
}

// ", allowlisted (its domain example.com)": which entry lets it through.
std::string allowlisted_because(const state::SenderReport& report) {
  if (report.allowlisted_by == "domain") return fmt::format(", allowlisted (its domain {})", report.domain);
  if (report.allowlisted_by == "campaign") {
    return fmt::format(", allowlisted (its campaign {:08x}{})", report.campaign.id,
                       report.campaign.brand.empty() ? "" : ", " + report.campaign.brand);
  }
  return ", allowlisted";
}

std::string list(const std::vector<std::uint32_t>& values) { return fmt::format("{}", fmt::join(values, "/")); }

}  // namespace

// A campaign is named by one of its addresses, or by a domain whose brand
// it carries (getacme.com and acme-mail.com both name "acme").
std::string campaign_subject(const std::string& subject, const config::CampaignIdentityData* identity) {
  if (subject.find('@') != std::string::npos) return state::normalise_address(subject);
  if (!identity) return subject;
  auto brand = scoring::organisation_of(subject, *identity).brand;
  return brand.empty() ? subject : brand;
}

int admin(const AdminOptions& options) {
  std::shared_ptr<const config::CampaignIdentityData> identity;
  auto store = open_configured_store(options.config_path, identity);
  if (!store) return 78;
  std::string subject = state::normalise_address(options.subject);

  if (options.command == "inspect") {
    auto report = store->inspect(subject, options.recipient.empty() ? "" : state::normalise_address(options.recipient));
    if (!report.available) {
      std::fputs("pushback: the state store is unavailable\n", stderr);
      return 1;
    }
    std::string allowlisted = report.allowlisted ? allowlisted_because(report) : "";
    if (!report.known) {
      fmt::print("{}: not seen{}\n", subject, allowlisted);
      return 0;
    }
    fmt::print("sender {} (domain {}){}\n", report.sender, report.domain, allowlisted);
    fmt::print("  windows {}: messages {}, recipients {}; domain messages {}, recipients {}\n",
               windows_header(report.windows), list(report.counts.messages), list(report.counts.recipients),
               list(report.domain_counts.messages), list(report.domain_counts.recipients));
    fmt::print("  first seen {}, last seen {}\n", when(report.first_seen), when(report.last_seen));
    for (const auto& pair : report.pairs) {
      fmt::print("  recipient {}: streak {}{}, messages {} (total {}), steps {}, first {}, last {}, last reply {}\n",
                 pair.recipient.substr(0, 16), pair.streak, pair.dialogue ? " (dialogue)" : "", list(pair.messages),
                 pair.messages_total, pair.steps, when(pair.first_seen), when(pair.last_seen), when(pair.last_reply));
    }
    for (const auto& t : report.templates) {
      fmt::print("  template {:08x}: {} messages, recipients {}, senders {}{}, first {}, last {}\n", t.id & 0xffffffffu,
                 t.messages_total, list(t.counts.recipients), list(t.senders), t.saturated ? " (saturated)" : "",
                 when(t.first_seen), when(t.last_seen));
    }
    if (const auto& c = report.campaign; c.known) {
      fmt::print("  campaign {} ({:08x}): {} mailboxes, {} domains; messages {}, recipients {}; longest streak {}; "
                 "first {}, last {}\n",
                 c.brand.empty() ? "-" : c.brand, c.id, c.mailbox_count, c.domain_count, list(c.counts.messages),
                 list(c.counts.recipients), c.longest_streak, when(c.first_seen), when(c.last_seen));
      for (const auto& mailbox : c.mailboxes) {
        if (mailbox != report.sender) fmt::print("    sibling {}\n", mailbox);
      }
      for (const auto& link : c.links) fmt::print("    linked by {}: {} mailbox(es)\n", link.linked_by, link.joins);
      for (const auto& join : c.joins) {
        fmt::print("    joined {} by {} at {}\n", join.mailbox, join.linked_by, when(join.joined));
      }
    }
    return 0;
  }
  if (options.command == "top") {
    auto report = store->top(options.count);
    if (!report.available) {
      std::fputs("pushback: the state store is unavailable\n", stderr);
      return 1;
    }
    auto section = [](const char* title, const std::vector<state::TopEntry>& entries) {
      fmt::print("{}\n", title);
      for (const auto& entry : entries) fmt::print("  {:>8}  {}\n", entry.value, entry.name);
    };
    section("senders by unanswered streak", report.senders_by_streak);
    section("senders by distinct recipients", report.senders_by_reach);
    section("senders by messages", report.senders_by_volume);
    section("templates by distinct recipients", report.templates_by_reach);
    section("campaigns by unanswered streak (all mailboxes)", report.campaigns_by_streak);
    section("campaigns by distinct recipients", report.campaigns_by_reach);
    section("campaigns by mailboxes", report.campaigns_by_mailboxes);
    return 0;
  }
  if (options.command == "forget" && options.campaign) {
    int forgotten = store->forget_campaign(campaign_subject(options.subject, identity.get()));
    if (forgotten < 0) {
      std::fputs("pushback: the state store is unavailable\n", stderr);
      return 1;
    }
    if (forgotten == 0) {
      fmt::print("{}: no campaign known\n", options.subject);
      return 1;
    }
    fmt::print("forgot the campaign of {}: {} mailboxes\n", options.subject, forgotten);
    return 0;
  }
  if (options.command == "forget") {
    if (!store->forget(subject)) {
      std::fputs("pushback: the state store is unavailable\n", stderr);
      return 1;
    }
    fmt::print("forgot {}\n", subject);
    return 0;
  }
  if (options.command == "allow") {
    if (options.list) {
      for (const auto& entry : store->allowlist()) fmt::print("{}  (since {})\n", entry.entry, when(entry.added));
      return 0;
    }
    std::string entry = options.campaign ? "campaign:" + campaign_subject(options.subject, identity.get())
                        : options.subject.find('@') == std::string::npos ? state::domain_of("@" + options.subject)
                                                                         : subject;
    bool ok = options.remove ? store->disallow(entry) : store->allow(entry);
    if (!ok) {
      std::fputs(options.campaign ? "pushback: no campaign known for that address or domain, or the state store is "
                                    "unavailable\n"
                                  : "pushback: the state store is unavailable\n",
                 stderr);
      return 1;
    }
    fmt::print("{} {}\n", options.remove ? "no longer allowlisted:" : "allowlisted:", entry);
    return 0;
  }
  return 2;
}

}  // namespace pushback::cli
