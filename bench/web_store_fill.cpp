// Fills an LMDB state directory for the console's overview bench: CAMPAIGNS
// campaigns of one template each (one mailbox, or four on lookalike domains
// for every tenth, linked by brand and display name), PAIRS (sender,
// recipient) pairs spread evenly over them, messages over the last 30 days,
// and 90 days of daily counts and of outreach per recipient (2,000 staff).
// Prints how long it took.
//   web_store_fill DIR CAMPAIGNS PAIRS
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "state/store.hpp"
#include "support.hpp"

using namespace pushback::state;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fputs("usage: web_store_fill DIR CAMPAIGNS PAIRS\n", stderr);
    return 2;
  }
  StoreSettings settings;
  settings.state_dir = argv[1];
  settings.lmdb_map_size = 16ull << 30;
  const std::uint64_t campaigns = std::strtoull(argv[2], nullptr, 10);
  const std::uint64_t pairs = std::strtoull(argv[3], nullptr, 10);
  if (campaigns == 0 || pairs < campaigns) {
    std::fputs("web_store_fill: need 1 <= CAMPAIGNS <= PAIRS\n", stderr);
    return 2;
  }
  auto clock = std::make_shared<SystemClock>();
  auto store = open_store(settings, clock);
  auto started = std::chrono::steady_clock::now();
  const auto now = clock->now();
  const auto first = now - std::chrono::hours(24 * 30);
  const auto step = std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::hours(24 * 30)) /
                    static_cast<std::int64_t>(pairs);
  for (std::uint64_t n = 0; n < pairs; ++n) {
    const std::uint64_t c = n % campaigns;
    const std::uint64_t k = n / campaigns;
    Observation observation;
    // Every tenth campaign rotates over four mailboxes, as sequencing tools do.
    const std::uint64_t mailbox = c % 10 == 0 ? k % 4 : 0;
    observation.sender = "rep" + std::to_string(c) + "@vendor" + std::to_string(c) +
                         (mailbox == 0 ? std::string{} : "-mail" + std::to_string(mailbox)) + ".example";
    observation.recipients = {"user" + std::to_string((c * 7 + k * 100'003) % 2'000'003) + "@corp.example"};
    observation.message_id = std::to_string(n) + "@fill.example";
    observation.fingerprint = testing::fingerprint(static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(k), 6);
    observation.campaign.sender.brand = "vendor" + std::to_string(c);
    observation.campaign.items = {{pushback::scoring::EvidenceKind::brand, observation.campaign.sender.brand},
                                  {pushback::scoring::EvidenceKind::display_name, "rep " + std::to_string(c)}};
    observation.time = first + step * static_cast<std::int64_t>(n);
    if (store->observe(observation).outcome != Outcome::counted) {
      std::fprintf(stderr, "web_store_fill: observe failed at message %llu\n", static_cast<unsigned long long>(n));
      return 1;
    }
  }
  std::vector<DayCounts> days;
  for (std::int64_t d = 0; d < 90; ++d) {
    DayCounts day;
    day.day = day_number(now) - d;
    day[DailyEvent::pass] = 5000 + static_cast<std::uint64_t>(d) * 13 % 700;
    day[DailyEvent::tag] = 300 + static_cast<std::uint64_t>(d) * 7 % 90;
    day[DailyEvent::held] = 40 + static_cast<std::uint64_t>(d) % 20;
    day[DailyEvent::refused] = 10 + static_cast<std::uint64_t>(d) % 5;
    day[DailyEvent::released] = 3;
    day[DailyEvent::deleted] = 30;
    days.push_back(day);
  }
  store->add_daily_counts(days);
  std::vector<DayTargets> targets;
  for (std::int64_t d = 0; d < 90; ++d) {
    DayTargets day;
    day.day = day_number(now) - d;
    for (std::uint64_t m = 0; m < 350; ++m) {
      ++day.recipients["staff" + std::to_string((m * m + static_cast<std::uint64_t>(d) * 31) % 2000) + "@corp.example"];
    }
    targets.push_back(std::move(day));
  }
  store->add_targets(targets);
  store->maintain();
  std::printf("filled %llu campaigns, %llu pairs in %.1f s\n", static_cast<unsigned long long>(campaigns),
              static_cast<unsigned long long>(pairs),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return 0;
}
