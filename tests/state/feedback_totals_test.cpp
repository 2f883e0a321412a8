// The feedback totals behind pushback_feedback_total: every kind and source
// is reported, counted across store instances (the CLI writes, the daemon reads).
#include <gtest/gtest.h>

#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

std::uint64_t count_of(const std::vector<FeedbackTotal>& totals, std::string_view kind, std::string_view source) {
  for (const auto& total : totals) {
    if (total.kind == kind && total.source == source) return total.count;
  }
  ADD_FAILURE() << kind << ":" << source << " missing";
  return 0;
}

void check_totals(StoreSettings settings) {
  auto clock = std::make_shared<FakeClock>();
  auto writer = open_store(settings, clock);
  Feedback release;
  release.sender = "dana@growthly.example";
  release.source = FeedbackSource::release;
  Feedback removal = release;
  removal.kind = FeedbackKind::outreach;
  removal.source = FeedbackSource::remove;
  ASSERT_TRUE(writer->record_feedback(release));
  ASSERT_TRUE(writer->record_feedback(removal));
  ASSERT_TRUE(writer->record_feedback(removal));
  writer.reset();
  auto reader = open_store(settings, clock);
  auto totals = reader->feedback_totals();
  EXPECT_EQ(totals.size(), 6u);
  EXPECT_EQ(count_of(totals, "ham", "release"), 1u);
  EXPECT_EQ(count_of(totals, "outreach", "delete"), 2u);
  EXPECT_EQ(count_of(totals, "outreach", "report"), 0u);
}

TEST(FeedbackTotals, Lmdb) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  check_totals(settings);
}

TEST(FeedbackTotals, Redis) {
  testing::TempDir dir;
  testing::RedisServer redis;
  check_totals(testing::redis_settings(dir, redis));
}

TEST(FeedbackTotals, RedisDownGivesNothing) {
  testing::TempDir dir;
  auto store = open_store(testing::unreachable_redis_settings(dir), std::make_shared<FakeClock>());
  EXPECT_TRUE(store->feedback_totals().empty());
  Feedback report;
  report.sender = "a@b.example";
  EXPECT_FALSE(store->record_feedback(report));
}

}  // namespace
}  // namespace pushback::state
