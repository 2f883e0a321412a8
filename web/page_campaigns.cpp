// Campaign pages: the rankings (reach, mailboxes, longest unanswered streak),
// one sender's campaign with its mailboxes and each recipient's steps, and
// the admin operations of `pushback allow|forget` and `feedback --outreach`.
#include <fmt/format.h>

#include <map>

#include "state/address.hpp"
#include "web/console.hpp"
#include "web/html.hpp"

namespace pushback::web {

namespace {

std::string when(state::TimePoint time) {
  if (time == state::TimePoint{}) return "-";
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

std::string sender_form(std::string_view value) {
  return fmt::format(
      R"(<form method="get" action="/campaign" class="card"><label>Campaign of sender <input name="sender" )"
      R"(type="email" placeholder="dana@vendor.example" value="{}" required></label> <button>Show</button></form>)",
      escape(value));
}

// "brand, display name (3); template lineage (1)": what linked the
// campaign's later mailboxes, with how many joined that way.
std::string linked_by_text(const std::vector<state::CampaignLinkCount>& links) {
  if (links.empty()) return "one mailbox so far";
  std::string out;
  for (const auto& link : links) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} ({})", link.linked_by, link.joins);
  }
  return out;
}

}  // namespace

std::string campaign_cell(const state::CampaignSummary& campaign) {
  std::string name = escape(fmt::format("{} ({:08x})", campaign.brand.empty() ? "-" : campaign.brand, campaign.id));
  if (campaign.mailbox.empty()) return name;
  return fmt::format(R"(<a href="/campaign?sender={}">{}</a>)", url_encode(campaign.mailbox), name);
}

Response Console::campaigns(const Admin& admin) {
  auto cached = top_report();
  const auto& top = cached.value;
  const auto week = week_window();
  std::string table;
  for (const auto& row : top.campaigns) {
    const auto& recipients = row.counts.recipients;
    table += fmt::format(
        R"(<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>)"
        R"(<td><a href="/quarantine?campaign={:08x}">held</a></td></tr>)",
        campaign_cell(row), row.reach, week.index < recipients.size() ? recipients[week.index] : 0, row.mailboxes, row.domains,
        row.longest_streak, escape(linked_by_text(row.links)), row.id);
  }
  if (table.empty()) table = R"(<tr><td colspan="8">none yet</td></tr>)";
  std::string senders;
  for (const auto& entry : top.senders_by_streak) {
    senders += fmt::format(R"(<tr><td><a href="/campaign?sender={}">{}</a></td><td>{}</td></tr>)", url_encode(entry.name),
                           escape(entry.name), entry.value);
  }
  std::string body = sender_form("");
  body += fmt::format(
      R"(<div class="cards"><div class="card full"><h2>Campaigns</h2><table><thead><tr><th>Campaign</th><th>Reach</th>)"
      R"(<th>{}</th><th>Mailboxes</th><th>Domains</th><th>Longest streak</th><th>Linked by</th><th></th></tr></thead>)"
      R"(<tbody>{}</tbody></table></div>)"
      R"(<div class="card"><h2>Senders by unanswered streak</h2><table><thead><tr><th>Sender</th><th>Streak</th></tr></thead>)"
      R"(<tbody>{}</tbody></table></div></div><p class="note">Reach, mailboxes and streaks over the longest state window; )"
      R"("linked by" is the evidence each later mailbox shared with the campaign, with how many joined that way. )"
      R"(Ranked {} ago.</p>)",
      escape(week.label), table, senders, cached.computed_at ? fmt::format("{} s", std::max<std::int64_t>(0, now_() - cached.computed_at)) : "never");
  body = rankings_notice(cached.computed_at, top.available) + body;
  return {.body = render_page({.title = "Campaigns", .signed_in = true, .csrf_token = admin.session.csrf,
                               .active = "campaigns"},
                              body)};
}

Response Console::campaign(const Admin& admin, const Request& request) {
  std::string sender = state::normalise_address(request.param("sender"));
  std::string notice = request.param("notice");
  std::string body;
  if (!notice.empty()) body += fmt::format(R"(<p class="note">{}</p>)", escape(notice));
  body += sender_form(sender);
  auto* s = store();
  if (!s) {
    return {.status = 503,
            .body = render_page({.title = "Campaign", .signed_in = true, .csrf_token = admin.session.csrf,
                                 .active = "campaigns"},
                                body + R"(<p class="error">The state store is unavailable.</p>)")};
  }
  auto report = s->inspect(sender);
  if (!report.known) {
    body += fmt::format(R"(<p>Nothing is known about {}.</p>)", escape(sender));
  } else {
    const auto& c = report.campaign;
    std::string last_window = report.counts.messages.empty() ? "0" : std::to_string(report.counts.messages.back());
    body += fmt::format(
        R"(<div class="card"><h2>{}</h2><table><tr><th>Campaign</th><td>{}</td></tr><tr><th>Mailboxes</th><td>{} ({} domains): {}</td></tr>)"
        R"(<tr><th>Reach</th><td>{} recipients</td></tr><tr><th>Longest unanswered streak</th><td>{}</td></tr>)"
        R"(<tr><th>This sender</th><td>{} messages, first {}, last {}{}</td></tr></table></div>)",
        escape(sender), c.known ? escape(fmt::format("{} ({:08x})", c.brand.empty() ? "-" : c.brand, c.id)) : "none",
        c.mailbox_count, c.domain_count, escape(fmt::format("{}", fmt::join(c.mailboxes, ", "))),
        c.counts.recipients.empty() ? 0 : c.counts.recipients.back(), c.longest_streak, last_window,
        when(report.first_seen), when(report.last_seen), report.allowlisted ? "; allowlisted" : "");
    if (c.known) {
      std::string joins;
      for (const auto& join : c.joins) {
        joins += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(join.mailbox), escape(join.linked_by),
                             when(join.joined));
      }
      if (joins.empty()) joins = R"(<tr><td colspan="3">no other mailbox has joined it</td></tr>)";
      body += fmt::format(
          R"(<div class="card"><h2>How its mailboxes were linked</h2><p>{}</p><table><thead><tr><th>Mailbox</th>)"
          R"(<th>Linked by</th><th>Joined</th></tr></thead><tbody>{}</tbody></table></div>)",
          escape(linked_by_text(c.links)), joins);
    }
    std::string pairs;
    for (const auto& pair : report.pairs) {
      pairs += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                           escape(pair.recipient.substr(0, 10)), pair.messages_total, pair.streak, pair.steps,
                           pair.dialogue ? "yes" : "no", when(pair.last_seen));
    }
    body += fmt::format(
        R"(<div class="card"><h2>Recipients and steps</h2><table><thead><tr><th>Recipient (hash)</th><th>Messages</th>)"
        R"(<th>Streak</th><th>Steps</th><th>Dialogue</th><th>Last</th></tr></thead><tbody>{}</tbody></table></div>)",
        pairs);
    body += fmt::format(
        R"(<form method="post" action="/campaign/action" class="card">{}<input type="hidden" name="sender" value="{}">)"
        R"(<p><button name="action" value="allow">Allow this campaign</button> )"
        R"(<button name="action" value="outreach">Mark as outreach</button> )"
        R"(<button name="action" value="forget">Forget this campaign</button></p></form>)",
        csrf_input(admin.session.csrf), escape(sender));
  }
  return {.body = render_page({.title = "Campaign", .signed_in = true, .csrf_token = admin.session.csrf,
                               .active = "campaigns"},
                              body)};
}

Response Console::campaign_action(const Admin& admin, const Request& request) {
  std::string sender = state::normalise_address(request.field("sender"));
  std::string action = request.field("action");
  if (sender.find('@') == std::string::npos) return plain(400, "name a sender address\n");
  auto* s = store();
  if (!s) return plain(503, "the state store is unavailable\n");
  std::string done;
  if (action == "allow") {
    // As `pushback allow --campaign`: the campaign now, and every mailbox it adds later.
    done = s->allow("campaign:" + sender) ? "campaign allowlisted" : "not allowlisted: no campaign is known for it";
  } else if (action == "forget") {
    int forgotten = s->forget_campaign(sender);
    done = forgotten < 0 ? "the store is unavailable" : fmt::format("forgot {} mailbox(es)", forgotten);
  } else if (action == "outreach") {
    // As `pushback feedback --outreach` on a message of this sender: KNOWN_OUTREACH from now on.
    state::Feedback feedback;
    feedback.kind = state::FeedbackKind::outreach;
    feedback.sender = sender;
    feedback.source = state::FeedbackSource::report;
    done = s->record_feedback(feedback) ? "marked as outreach" : "not recorded: the store is unavailable";
  } else {
    return plain(400, "action must be allow, forget or outreach\n");
  }
  cli::audit(fmt::format("web: campaign {} of {}: {}, by web {}", action, sender, done, admin.session.who));
  return redirect("/campaign?sender=" + url_encode(sender) + "&notice=" + url_encode(done));
}

}  // namespace pushback::web
