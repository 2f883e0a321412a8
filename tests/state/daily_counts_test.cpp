// The daily counts behind the console's charts: added across store
// instances (the milter and the CLI write, the console reads), read by day
// range, expired after daily_retention_days; the lock-free tally and its
// flusher; against both backends.
#include <gtest/gtest.h>

#include <thread>

#include "state/daily_flusher.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

DayCounts day_with(std::int64_t day, DailyEvent event, std::uint64_t n) {
  DayCounts counts;
  counts.day = day;
  counts[event] = n;
  return counts;
}

void check_daily(StoreSettings settings) {
  auto clock = std::make_shared<FakeClock>();
  std::int64_t today = day_number(clock->now());
  auto writer = open_store(settings, clock);
  ASSERT_TRUE(writer->add_daily_counts({day_with(today, DailyEvent::pass, 5), day_with(today - 1, DailyEvent::held, 2)}));
  ASSERT_TRUE(writer->add_daily_counts({day_with(today, DailyEvent::pass, 1), day_with(today, DailyEvent::released, 1)}));
  writer.reset();
  auto reader = open_store(settings, clock);
  auto days = reader->daily_counts(today - 6, today);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, today - 1);
  EXPECT_EQ(days[0][DailyEvent::held], 2u);
  EXPECT_EQ(days[0][DailyEvent::pass], 0u);
  EXPECT_EQ(days[1].day, today);
  EXPECT_EQ(days[1][DailyEvent::pass], 6u);
  EXPECT_EQ(days[1][DailyEvent::released], 1u);
  EXPECT_EQ(reader->daily_counts(today - 6, today - 2).size(), 0u);
  EXPECT_EQ(reader->daily_counts(today, today).size(), 1u);
}

TEST(DailyCounts, Lmdb) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  check_daily(settings);
}

TEST(DailyCounts, Redis) {
  testing::TempDir dir;
  testing::RedisServer redis;
  StoreSettings settings = testing::redis_settings(dir, redis);
  check_daily(settings);
  // Each day's hash expires daily_retention_days after its last write.
  auto ttl = redis.ttl(settings.redis.key_prefix + "daily:" + std::to_string(day_number(FakeClock().now())));
  EXPECT_GT(ttl, (daily_retention_days - 1) * 86400);
  EXPECT_LE(ttl, daily_retention_days * 86400);
}

TEST(DailyCounts, LmdbExpiresOldDays) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  std::int64_t today = day_number(clock->now());
  ASSERT_TRUE(store->add_daily_counts({day_with(today, DailyEvent::tag, 1)}));
  clock->advance(std::chrono::hours(24 * (daily_retention_days + 1)));
  std::int64_t later = day_number(clock->now());
  ASSERT_TRUE(store->add_daily_counts({day_with(later, DailyEvent::tag, 1)}));
  EXPECT_TRUE(store->daily_counts(today, today).empty());
  EXPECT_EQ(store->daily_counts(today, later).size(), 1u);
}

TEST(DailyCounts, RedisDownGivesNothing) {
  testing::TempDir dir;
  auto store = open_store(testing::unreachable_redis_settings(dir), std::make_shared<FakeClock>());
  EXPECT_FALSE(store->add_daily_counts({day_with(1, DailyEvent::pass, 1)}));
  EXPECT_TRUE(store->daily_counts(0, 10).empty());
}

TEST(DailyTally, CountsFromManyThreadsAndDrains) {
  DailyTally tally;
  FakeClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) tally.add(i % 2 ? DailyEvent::pass : DailyEvent::held, clock.now());
    });
  }
  for (auto& thread : threads) thread.join();
  tally.add(DailyEvent::refused, clock.now() + std::chrono::hours(24));
  auto days = tally.drain();
  ASSERT_EQ(days.size(), 2u);
  std::sort(days.begin(), days.end(), [](const auto& a, const auto& b) { return a.day < b.day; });
  EXPECT_EQ(days[0].day, day_number(clock.now()));
  EXPECT_EQ(days[0][DailyEvent::pass], 20000u);
  EXPECT_EQ(days[0][DailyEvent::held], 20000u);
  EXPECT_EQ(days[1][DailyEvent::refused], 1u);
  EXPECT_TRUE(tally.drain().empty());
}

TEST(DailyFlusher, FlushesOnItsIntervalAndWhenStopped) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  DailyTally tally;
  std::int64_t today = day_number(clock->now());
  {
    DailyFlusher flusher(*store, tally, std::chrono::milliseconds(100));
    tally.add(DailyEvent::tag, clock->now());
    for (int i = 0; i < 100 && store->daily_counts(today, today).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(store->daily_counts(today, today).at(0)[DailyEvent::tag], 1u);
    tally.add(DailyEvent::tag, clock->now());
  }
  EXPECT_EQ(store->daily_counts(today, today).at(0)[DailyEvent::tag], 2u);
}

TEST(DailyCounts, EncodingRoundTripsAndToleratesOtherLengths) {
  DayCounts counts = day_with(20000, DailyEvent::deleted, 0x0102030405060708ull);
  counts[DailyEvent::pass] = 7;
  auto decoded = decode_day(20000, encode_day(counts));
  EXPECT_EQ(decoded.counts, counts.counts);
  EXPECT_EQ(decode_day(3, encode_day(counts).substr(0, 12))[DailyEvent::pass], 7u);
  EXPECT_EQ(day_of_key("xx" + day_key(20123)), 20123);
}

}  // namespace
}  // namespace pushback::state
