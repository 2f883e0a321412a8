// The overview: messages per day by verdict and the quarantine's days (from
// the store's daily counts), the top campaigns and the staff most targeted.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "web/console.hpp"
#include "web/html.hpp"

namespace pushback::web {

namespace {

std::string to_lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string ranking(const std::vector<state::TopEntry>& entries, std::size_t n) {
  std::string rows;
  for (std::size_t i = 0; i < entries.size() && i < n; ++i) {
    rows += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(entries[i].name), entries[i].value);
  }
  return rows.empty() ? "<tr><td colspan=\"2\">none yet</td></tr>" : rows;
}

// The campaigns that reached the most recipients in window `week`, with a
// link to each one's page.
std::string week_campaigns(const std::vector<state::CampaignSummary>& campaigns, std::size_t week, std::size_t n) {
  std::vector<std::pair<std::uint32_t, const state::CampaignSummary*>> ranked;
  for (const auto& campaign : campaigns) {
    const auto& recipients = campaign.counts.recipients;
    if (week < recipients.size() && recipients[week] > 0) ranked.emplace_back(recipients[week], &campaign);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string rows;
  for (std::size_t i = 0; i < ranked.size() && i < n; ++i) {
    rows += fmt::format("<tr><td>{}</td><td>{}</td></tr>", campaign_cell(*ranked[i].second), ranked[i].first);
  }
  return rows.empty() ? "<tr><td colspan=\"2\">none yet</td></tr>" : rows;
}

}  // namespace

Response Console::overview(const Admin& admin, const Request& request) {
  int days = 7;
  if (auto asked = request.param("days"); asked == "30" || asked == "90") days = std::stoi(asked);
  std::string body = fmt::format(R"(<p>Last <a href="/overview?days=7">7</a> · <a href="/overview?days=30">30</a> · )"
                                 R"(<a href="/overview?days=90">90</a> days</p>)");
  body += daily_charts(days);

  auto cached = top_report();
  const auto week = week_window();
  auto staff = targeted_staff();
  body += fmt::format(
      R"(<div class="cards"><div class="card"><h2>Top campaigns</h2><table><thead><tr><th>Campaign</th><th>Recipients, {}</th></tr></thead>)"
      R"(<tbody>{}</tbody></table></div><div class="card"><h2>Longest unanswered streaks</h2><table><thead><tr><th>Campaign</th>)"
      R"(<th>Streak</th></tr></thead><tbody>{}</tbody></table></div><div class="card"><h2>Most-targeted staff</h2>)"
      R"(<table><thead><tr><th>Recipient</th><th>Outreach, 7 days</th></tr></thead><tbody>{}</tbody></table></div></div>)",
      escape(to_lower_first(week.label)), week_campaigns(cached.value.campaigns, week.index, 10),
      ranking(cached.value.campaigns_by_streak, 10),
      ranking(staff.value, 10));
  body += fmt::format(R"(<p class="note">Rankings computed {} s ago, the quarantine's {} s ago.</p>)",
                      std::max<std::int64_t>(0, now_() - cached.computed_at),
                      std::max<std::int64_t>(0, now_() - staff.computed_at));
  body = rankings_notice(cached.computed_at, cached.value.available) + body;
  return {.body = render_page({.title = "Overview", .signed_in = true, .csrf_token = admin.session.csrf,
                               .active = "overview", .with_charts = true},
                              body)};
}

}  // namespace pushback::web
