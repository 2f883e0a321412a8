// Quarantine pages: what Pushback holds (filtered by recipient, sender,
// campaign and age), one message's verdict and headers, and release or
// delete of one or several messages through the CLI's own review code.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/schema_parts.hpp"
#include "scoring/header_text.hpp"
#include "state/address.hpp"
#include "web/console.hpp"
#include "web/html.hpp"

namespace pushback::web {

namespace {

// How many held messages one page lists; the rest are counted, not shown.
constexpr std::size_t max_listed = 500;

std::string age_text(std::int64_t seconds) {
  if (seconds < 3600) return fmt::format("{}m", std::max<std::int64_t>(0, seconds / 60));
  if (seconds < 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

std::string template_text(const quarantine::SealFacts& verdict) {
  return verdict.template_known ? fmt::format("{:08x}", verdict.template_id) : "unknown";
}

bool held_for(const quarantine::HeldMessage& held, const std::string& recipient) {
  auto wanted = state::normalise_address(recipient);
  return std::any_of(held.entry.recipients.begin(), held.entry.recipients.end(),
                     [&](const std::string& r) { return state::normalise_address(r) == wanted; });
}

}  // namespace

Response Console::quarantine_list(const Admin& admin, const Request& request) {
  std::string recipient = request.param("recipient");
  std::string sender = request.param("sender");
  std::string campaign = request.param("campaign");
  std::string older = request.param("older_than");
  std::string notice = request.param("notice");
  std::optional<std::int64_t> older_seconds;
  std::string error;
  if (!older.empty()) {
    if (auto parsed = config::detail::parse_duration_text(older)) older_seconds = parsed->count();
    else error = fmt::format("\"{}\" is not a duration (e.g. 12h, 3d)", older);
  }
  auto listing = cli::list_ours(review_, "web");
  if (!listing.ok) error = "the hold queue could not be listed (see the console's log)";

  // The campaign of each sender, asked once per sender and only when filtering by it.
  std::map<std::string, std::string> campaign_of;
  auto campaign_matches = [&](const std::string& address) {
    if (campaign.empty()) return true;
    auto normalised = state::normalise_address(address);
    auto found = campaign_of.find(normalised);
    if (found == campaign_of.end()) {
      std::string id;
      if (auto* s = store()) {
        auto report = s->inspect(normalised);
        if (report.campaign.known) id = std::to_string(report.campaign.id);
      }
      found = campaign_of.emplace(normalised, id).first;
    }
    return found->second == campaign;
  };

  auto now = now_();
  std::string rows;
  std::size_t shown = 0, matching = 0;
  for (const auto& held : listing.ours) {
    if (!recipient.empty() && !held_for(held, recipient)) continue;
    if (!sender.empty() && state::normalise_address(held.entry.sender) != state::normalise_address(sender)) continue;
    if (older_seconds && now - held.entry.arrival_time <= *older_seconds) continue;
    if (!campaign_matches(held.entry.sender)) continue;
    if (++matching > max_listed) continue;
    ++shown;
    const auto& id = held.entry.queue_id;
    rows += fmt::format(
        R"(<tr><td><input type="checkbox" name="id" value="{0}" aria-label="select {0}"></td>)"
        R"(<td>{1}</td><td>{2}</td><td>{3}</td><td><a href="/quarantine/show?id={4}">{5}</a></td>)"
        R"(<td>{6}</td><td class="wide">{7}</td></tr>)",
        escape(id), age_text(now - held.entry.arrival_time), escape(held.entry.sender.empty() ? "<>" : held.entry.sender),
        escape(fmt::format("{}", fmt::join(held.entry.recipients, ", "))), url_encode(id),
        escape(held.subject.empty() ? "(no subject)" : held.subject), escape(held.verdict.score),
        escape(fmt::format("{}", fmt::join(held.verdict.symbols, " "))));
  }
  std::string body;
  if (!notice.empty()) body += fmt::format(R"(<p class="note">{}</p>)", escape(notice));
  if (!error.empty()) body += fmt::format(R"(<p class="error">{}</p>)", escape(error));
  body += fmt::format(
      R"(<form method="get" action="/quarantine" class="card"><input name="recipient" placeholder="recipient" value="{}"> )"
      R"(<input name="sender" placeholder="sender" value="{}"> <input name="campaign" placeholder="campaign id" value="{}" size="10"> )"
      R"(<input name="older_than" placeholder="older than, e.g. 3d" value="{}" size="16"> <button>Filter</button></form>)",
      escape(recipient), escape(sender), escape(campaign), escape(older));
  body += fmt::format(
      R"(<form method="post" action="/quarantine/action">{}<p>{} held by Pushback{}{}</p>)"
      R"(<table><thead><tr><th><input type="checkbox" data-check-all aria-label="select all"></th><th>Age</th><th>From</th>)"
      R"(<th>To</th><th>Subject</th><th>Score</th><th class="wide">Symbols</th></tr></thead><tbody>{}</tbody></table>)"
      R"(<p><input name="reason" placeholder="reason, for the log"> )"
      R"(<button name="action" value="release">Release selected</button> )"
      R"(<button name="action" value="delete">Delete selected</button></p></form>)",
      csrf_input(admin.session.csrf), matching, matching > shown ? fmt::format(" ({} shown)", shown) : "",
      listing.others ? fmt::format("; {} other held message(s) are not Pushback's", listing.others) : "", rows);
  return {.body = render_page({.title = "Quarantine", .signed_in = true, .csrf_token = admin.session.csrf,
                               .active = "quarantine"},
                              body)};
}

Response Console::quarantine_show(const Admin& admin, const Request& request) {
  std::string id = request.param("id");
  if (!review_.queue->valid_id(id)) return plain(400, "not a queue id\n");
  auto listing = cli::list_ours(review_, "web");
  auto held = std::find_if(listing.ours.begin(), listing.ours.end(),
                           [&](const auto& h) { return h.entry.queue_id == id; });
  if (held == listing.ours.end()) return plain(404, "not held by Pushback (released, deleted, or never held)\n");
  std::string error;
  auto text = review_.queue->message_text(id, error);
  std::string headers = text ? text->substr(0, std::min(text->find("\n\n"), text->size())) : "unreadable: " + error;
  std::string body = fmt::format(
      R"(<table><tr><th>Queue id</th><td>{}</td></tr><tr><th>From</th><td>{}</td></tr><tr><th>To</th><td>{}</td></tr>)"
      R"(<tr><th>Subject</th><td>{}</td></tr><tr><th>Verdict</th><td>{} at score {}</td></tr>)"
      R"(<tr><th>Template</th><td>{}</td></tr><tr><th>Symbols</th><td>{}</td></tr><tr><th>Report</th><td>{}</td></tr></table>)"
      R"(<form method="post" action="/quarantine/action">{}<input type="hidden" name="id" value="{}">)"
      R"(<p><input name="reason" placeholder="reason, for the log"> <button name="action" value="release">Release</button> )"
      R"(<button name="action" value="delete">Delete</button></p></form><h2>Headers</h2><pre>{}</pre>)",
      escape(id), escape(held->entry.sender.empty() ? "<>" : held->entry.sender),
      escape(fmt::format("{}", fmt::join(held->entry.recipients, ", "))), escape(held->subject),
      escape(held->verdict.action), escape(held->verdict.score), escape(template_text(held->verdict)),
      escape(fmt::format("{}", fmt::join(held->verdict.symbols, " "))), escape(held->report),
      csrf_input(admin.session.csrf), escape(id), escape(headers));
  return {.body = render_page({.title = "Held message", .signed_in = true, .csrf_token = admin.session.csrf,
                               .active = "quarantine"},
                              body)};
}

Response Console::quarantine_action(const Admin& admin, const Request& request) {
  std::string action = request.field("action");
  if (action != "release" && action != "delete") return plain(400, "action must be release or delete\n");
  auto ids = request.fields("id");
  if (ids.empty()) return redirect("/quarantine?notice=" + url_encode("Nothing selected."));
  for (const auto& missing : {review_.queue->missing_read_rights(), review_.queue->missing_change_rights()}) {
    if (!missing.empty()) return plain(503, "the console cannot change the hold queue: " + missing + "\n");
  }
  bool release = action == "release";
  auto listing = cli::list_ours(review_, "web");
  auto* store_ = store();
  std::string why = request.field("reason").empty() ? "no reason given"
                                                    : scoring::sanitise_header_value(request.field("reason"));
  std::size_t done = 0;
  std::vector<std::string> failed;
  for (const auto& id : ids) {
    auto held = std::find_if(listing.ours.begin(), listing.ours.end(),
                             [&](const auto& h) { return h.entry.queue_id == id; });
    if (held == listing.ours.end()) {
      failed.push_back(id + " (not held by Pushback)");
      continue;
    }
    auto decision = cli::release_or_delete_held(review_, *held, release, store_, "web " + admin.session.who, why);
    if (decision.done) ++done;
    else failed.push_back(id + " (" + decision.message + ")");
  }
  std::string notice = fmt::format("{} message(s) {}.", done, release ? "released" : "deleted");
  if (!failed.empty()) notice += fmt::format(" Not done: {}.", fmt::join(failed, ", "));
  if (!store_) notice += " The state store is unavailable: nothing was learnt.";
  return redirect("/quarantine?notice=" + url_encode(notice));
}

}  // namespace pushback::web
