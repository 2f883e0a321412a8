// The overview's two charts from the store's daily counts: messages per day
// by verdict, and the quarantine per day (held, released, deleted). The data
// rides in a data-chart attribute as JSON; console.js draws it.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ctime>

#include "state/daily_counts.hpp"
#include "web/console.hpp"
#include "web/html.hpp"

namespace pushback::web {

namespace {

std::string day_label(std::int64_t day) {
  std::time_t t = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%m-%d", &tm);
  return buffer;
}

std::string chart(const char* id, const char* label, const std::vector<std::string>& labels,
                  const std::vector<state::DayCounts>& days, std::initializer_list<state::DailyEvent> events,
                  bool stacked) {
  nlohmann::json spec{{"type", "bar"}, {"labels", labels}, {"stacked", stacked}, {"datasets", nlohmann::json::array()}};
  for (auto event : events) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& day : days) values.push_back(day[event]);
    spec["datasets"].push_back({{"label", std::string(state::to_string(event))}, {"data", values}});
  }
  return fmt::format(R"(<div class="card"><h2>{}</h2><div style="position:relative;height:16rem">)"
                     R"(<canvas id="{}" data-chart="{}" role="img" aria-label="{}"></canvas></div></div>)",
                     label, id, escape(spec.dump()), label);
}

}  // namespace

std::string Console::daily_charts(int days) {
  auto* s = store();
  if (!s) return R"(<p class="error">The state store is unavailable: no daily counts.</p>)";
  std::int64_t today = now_() / 86400;
  std::int64_t first = today - days + 1;
  auto stored = s->daily_counts(first, today);
  // Every day gets a bar, counted or not.
  std::vector<state::DayCounts> series(static_cast<std::size_t>(days));
  std::vector<std::string> labels;
  for (int i = 0; i < days; ++i) {
    series[static_cast<std::size_t>(i)].day = first + i;
    labels.push_back(day_label(first + i));
  }
  for (const auto& day : stored) {
    if (day.day >= first && day.day <= today) series[static_cast<std::size_t>(day.day - first)] = day;
  }
  using E = state::DailyEvent;
  return R"(<div class="cards">)" +
         chart("verdicts", "Messages per day by verdict", labels, series, {E::pass, E::tag, E::held, E::refused}, true) +
         chart("quarantine", "Quarantine per day", labels, series, {E::held, E::released, E::deleted}, false) + "</div>";
}

}  // namespace pushback::web
