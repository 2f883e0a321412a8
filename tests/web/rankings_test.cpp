// The campaign rows of the console's rankings, from a real LMDB store.
#include <gtest/gtest.h>

#include "state/store.hpp"
#include "support.hpp"
#include "web/rankings.hpp"

namespace pushback::web {
namespace {

TEST(Rankings, CampaignIdComesFromTheRankingName) {
  EXPECT_EQ(campaign_id_of("growthly (0000002a)"), 42u);
  EXPECT_EQ(campaign_id_of("- (ffffffff)"), 0xffffffffu);
  EXPECT_EQ(campaign_id_of("brand (2a)"), 0u);
  EXPECT_EQ(campaign_id_of("brand (0000002a) extra"), 0u);
  EXPECT_EQ(campaign_id_of("brand"), 0u);
  EXPECT_EQ(campaign_id_of("brand (zzzzzzzz)"), 0u);
}

TEST(Rankings, EachCampaignWithItsMailboxesDomainsAndAWayToItsPage) {
  state::testing::TempDir dir;
  state::StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<state::FakeClock>();
  auto store = state::open_store(settings, clock);
  // Two mailboxes of one brand on two domains, three recipients; another campaign with one.
  int n = 0;
  auto send = [&](const std::string& sender, const std::string& brand, const std::string& recipient) {
    state::Observation observation;
    observation.sender = sender;
    observation.recipients = {recipient};
    observation.message_id = std::to_string(++n) + "@test.example";
    observation.fingerprint = state::testing::fingerprint(brand == "growthly" ? 1 : 2, static_cast<std::uint32_t>(n), 6);
    observation.campaign.sender.brand = brand;
    // The brand and the display name together link a second mailbox to the campaign.
    observation.campaign.items = {{scoring::EvidenceKind::brand, brand},
                                  {scoring::EvidenceKind::display_name, brand == "growthly" ? "Dana Lee" : "Max Roe"}};
    clock->advance(std::chrono::minutes(5));
    ASSERT_EQ(store->observe(observation).outcome, state::Outcome::counted);
  };
  for (int round = 0; round < 3; ++round) {
    send("dana@growthly.example", "growthly", "alice@corp.example");
    send("dana@growthly.example", "growthly", "bob@corp.example");
  }
  send("dana@growthly-mail.example", "growthly", "carol@corp.example");
  send("max@cloudcut.example", "cloudcut", "alice@corp.example");

  auto rankings = rank(*store, 10);
  ASSERT_TRUE(rankings.top.available);
  std::string rows;
  for (const auto& row : rankings.campaigns) {
    rows += row.name + " reach " + std::to_string(row.reach) + " mailboxes " + std::to_string(row.mailboxes) +
            " domains " + std::to_string(row.domains) + " sender " + row.sender + "\n";
  }
  ASSERT_EQ(rankings.campaigns.size(), 2u) << rows;
  const auto& first = rankings.campaigns[0];
  EXPECT_TRUE(first.name.starts_with("growthly (")) << first.name;
  EXPECT_EQ(first.id, campaign_id_of(first.name));
  EXPECT_EQ(first.reach, 3u);
  EXPECT_EQ(first.mailboxes, 2u);
  EXPECT_EQ(first.domains, 2u);
  EXPECT_EQ(first.streak, 3u);
  EXPECT_TRUE(first.sender == "dana@growthly.example" || first.sender == "dana@growthly-mail.example") << first.sender;
  EXPECT_TRUE(rankings.campaigns[1].name.starts_with("cloudcut (")) << rankings.campaigns[1].name;
  EXPECT_EQ(rankings.campaigns[1].reach, 1u);
}

}  // namespace
}  // namespace pushback::web
