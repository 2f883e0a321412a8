// The RCPT check's bounds: they hold while fresh, only grow, take the
// campaign's streak into account, and are forgotten rather than trusted
// when old or when there is no room.
#include "state/streak_ceilings.hpp"

#include <gtest/gtest.h>

namespace pushback::state {
namespace {

using namespace std::chrono_literals;

const TimePoint start{std::chrono::hours(24 * 20000)};

TEST(StreakCeilings, UnknownSenderHasNoBound) {
  StreakCeilings ceilings(60s);
  EXPECT_FALSE(ceilings.bound("jim@sales.example", start).has_value());
}

TEST(StreakCeilings, TheHigherOfSenderAndCampaign) {
  StreakCeilings ceilings(60s);
  ceilings.record("jim@sales.example", 2, 7, 3, start);
  EXPECT_EQ(ceilings.bound("jim@sales.example", start + 1s), 3u);
  ceilings.record("jim@sales.example", 5, 7, 3, start + 2s);
  EXPECT_EQ(ceilings.bound("jim@sales.example", start + 3s), 5u);
}

TEST(StreakCeilings, AnotherMailboxRaisesTheCampaignForAll) {
  StreakCeilings ceilings(60s);
  ceilings.record("sam@acme-mail.example", 1, 7, 1, start);
  ceilings.record("sam@getacme.example", 1, 7, 4, start + 5s);
  EXPECT_EQ(ceilings.bound("sam@acme-mail.example", start + 6s), 4u);
}

TEST(StreakCeilings, BoundsOnlyGrowWhileFresh) {
  StreakCeilings ceilings(60s);
  // Two observations finishing out of order: the later, lower answer must
  // not hide the higher one.
  ceilings.record("jim@sales.example", 4, 7, 4, start);
  ceilings.record("jim@sales.example", 3, 7, 3, start + 1s);
  EXPECT_EQ(ceilings.bound("jim@sales.example", start + 2s), 4u);
}

TEST(StreakCeilings, OldBoundsAreNoBounds) {
  StreakCeilings ceilings(60s);
  ceilings.record("jim@sales.example", 4, 7, 4, start);
  EXPECT_TRUE(ceilings.bound("jim@sales.example", start + 59s).has_value());
  EXPECT_FALSE(ceilings.bound("jim@sales.example", start + 60s).has_value());
  EXPECT_FALSE(ceilings.bound("jim@sales.example", start - 1s).has_value()) << "a clock that went back";
  // A stale bound is replaced, not raised: the new answer stands alone.
  ceilings.record("jim@sales.example", 1, 7, 1, start + 120s);
  EXPECT_EQ(ceilings.bound("jim@sales.example", start + 121s), 1u);
}

TEST(StreakCeilings, ASenderWhoseCampaignWasForgottenHasNoBound) {
  StreakCeilings ceilings(60s, 2);
  ceilings.record("sam@acme-mail.example", 1, 1, 1, start);
  ceilings.record("other@else.example", 1, 2, 1, start);
  ceilings.record("other@else.example", 1, 3, 1, start);  // no room for campaign 3: the campaigns go
  EXPECT_EQ(ceilings.bound("other@else.example", start), 1u);
  EXPECT_FALSE(ceilings.bound("sam@acme-mail.example", start).has_value());
}

TEST(StreakCeilings, WhenFullTheOldGoFirstThenAll) {
  StreakCeilings ceilings(60s, 2);
  ceilings.record("a@x.example", 1, 0, 0, start);
  ceilings.record("b@x.example", 2, 0, 0, start + 30s);
  ceilings.record("c@x.example", 3, 0, 0, start + 70s);  // a is stale and goes
  EXPECT_EQ(ceilings.bound("b@x.example", start + 71s), 2u);
  EXPECT_EQ(ceilings.bound("c@x.example", start + 71s), 3u);
  ceilings.record("d@x.example", 4, 0, 0, start + 72s);  // both fresh: all go
  EXPECT_FALSE(ceilings.bound("b@x.example", start + 73s).has_value());
  EXPECT_FALSE(ceilings.bound("c@x.example", start + 73s).has_value());
  EXPECT_EQ(ceilings.bound("d@x.example", start + 73s), 4u);
}

}  // namespace
}  // namespace pushback::state
