// Outreach per recipient behind the console's most-targeted staff: the
// milter's tally, the flusher, and both backends, which keep recipients only
// as keyed hashes, sum them over a day range and expire old days.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

#include "state/address.hpp"
#include "state/daily_flusher.hpp"
#include "state/keyed_hash.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

DayTargets day_of(std::int64_t day, std::map<std::string, std::uint64_t> recipients) {
  return {day, std::move(recipients)};
}

std::string hash_of(const StoreSettings& settings, const std::string& address) {
  return to_hex(KeyedHasher::from_state_dir(settings.state_dir).hash(HashKind::recipient, normalise_address(address)));
}

void check_targets(StoreSettings settings, const std::function<std::string()>& raw_dump) {
  auto clock = std::make_shared<FakeClock>();
  std::int64_t today = day_number(clock->now());
  auto writer = open_store(settings, clock);
  ASSERT_TRUE(writer->add_targets({day_of(today, {{"alice@corp.example", 3}, {"bob@corp.example", 1}}),
                                   day_of(today - 1, {{"bob@corp.example", 4}})}));
  // Another instance (the milter after a restart) adds to the same days; addresses are normalised.
  writer.reset();
  writer = open_store(settings, clock);
  ASSERT_TRUE(writer->add_targets({day_of(today, {{"Carol+sales@Corp.example", 2}}),
                                   day_of(today - 8, {{"dave@corp.example", 50}})}));
  auto week = writer->most_targeted(today - 6, today, 10);
  ASSERT_TRUE(week.has_value());
  ASSERT_EQ(week->size(), 3u);
  EXPECT_EQ((*week)[0].name, hash_of(settings, "bob@corp.example"));
  EXPECT_EQ((*week)[0].value, 5u);
  EXPECT_EQ((*week)[1].name, hash_of(settings, "alice@corp.example"));
  EXPECT_EQ((*week)[1].value, 3u);
  EXPECT_EQ((*week)[2].name, hash_of(settings, "carol@corp.example"));
  EXPECT_EQ((*week)[2].value, 2u);
  EXPECT_EQ(writer->most_targeted(today - 6, today, 1)->size(), 1u);
  EXPECT_EQ(writer->most_targeted(today - 8, today - 8, 10)->at(0).value, 50u) << "an older day, out of the week";
  // No address in clear anywhere in the store.
  std::string dump = raw_dump();
  for (const char* part : {"alice", "bob@", "carol", "dave"}) EXPECT_EQ(dump.find(part), std::string::npos) << part;
}

TEST(TargetedStaff, Lmdb) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  check_targets(settings, [&] { return testing::read_file(dir.path() + "/data.mdb"); });
  // Days older than daily_retention_days go at the next write.
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  std::int64_t today = day_number(clock->now());
  ASSERT_TRUE(store->add_targets({day_of(today - daily_retention_days - 1, {{"old@corp.example", 1}})}));
  ASSERT_TRUE(store->add_targets({day_of(today, {{"new@corp.example", 1}})}));
  EXPECT_TRUE(store->most_targeted(today - daily_retention_days - 1, today - daily_retention_days - 1, 10)->empty());
}

TEST(TargetedStaff, Redis) {
  testing::TempDir dir;
  testing::RedisServer redis;
  StoreSettings settings = testing::redis_settings(dir, redis);
  check_targets(settings, [&] {
    std::string dump;
    for (const auto& key : redis.command({"KEYS", "*"})) {
      dump += key + "\n";
      if (key.find("targets:") != std::string::npos) {
        for (const auto& part : redis.command({"HGETALL", key})) dump += part + "\n";
      }
    }
    return dump;
  });
  // Each day's hash expires daily_retention_days after its last write.
  auto ttl = redis.ttl(settings.redis.key_prefix + "targets:" + std::to_string(day_number(FakeClock().now())));
  EXPECT_GT(ttl, (daily_retention_days - 1) * 86400);
  EXPECT_LE(ttl, daily_retention_days * 86400);
}

TEST(TargetedStaff, TallyCountsEachRecipientAcrossThreadsAndDays) {
  TargetTally tally;
  FakeClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) tally.add(std::vector<std::string>{"alice@corp.example", "bob@corp.example"}, clock.now());
    });
  }
  for (auto& thread : threads) thread.join();
  tally.add_one("alice@corp.example", clock.now() + std::chrono::hours(24));
  auto days = tally.drain();
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, day_number(clock.now()));
  EXPECT_EQ(days[0].recipients.at("alice@corp.example"), 4000u);
  EXPECT_EQ(days[0].recipients.at("bob@corp.example"), 4000u);
  EXPECT_EQ(days[1].recipients.at("alice@corp.example"), 1u);
  EXPECT_TRUE(tally.drain().empty());
}

TEST(TargetedStaff, TallyHoldsABoundedNumberOfRecipientsPerDay) {
  TargetTally tally;
  FakeClock clock;
  for (std::size_t i = 0; i < TargetTally::recipients_per_day + 10; ++i) {
    tally.add_one("user" + std::to_string(i) + "@corp.example", clock.now());
  }
  tally.add_one("user0@corp.example", clock.now());
  auto days = tally.drain();
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].recipients.size(), TargetTally::recipients_per_day);
  EXPECT_EQ(days[0].recipients.at("user0@corp.example"), 2u) << "a recipient already counted still counts";
}

TEST(TargetedStaff, StoredDayKeepsTheMostTargetedAndSurvivesDamage) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> day;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> more;
  for (std::uint64_t i = 0; i < targets_kept_per_day + 100; ++i) more.emplace_back(i, i + 1);
  merge_targets(day, more);
  ASSERT_EQ(day.size(), targets_kept_per_day);
  EXPECT_EQ(day.front().first, targets_kept_per_day + 99);
  merge_targets(day, {{0, 1000000}});
  EXPECT_EQ(day.front().first, 0u) << "one absent from the day joins it when it counts enough";
  EXPECT_EQ(day.front().second, 1000000u);
  auto encoded = encode_targets(day);
  EXPECT_EQ(decode_targets(encoded), day);
  auto cut = decode_targets(encoded.substr(0, 30));
  EXPECT_LT(cut.size(), 4u);
  if (!cut.empty()) {
    EXPECT_EQ(cut.front(), day.front());
  }
  EXPECT_TRUE(decode_targets("").empty());
}

TEST(TargetedStaff, FlusherMovesTheTallyIntoTheStore) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  DailyTally daily;
  TargetTally targets;
  std::int64_t today = day_number(clock->now());
  {
    DailyFlusher flusher(*store, daily, std::chrono::milliseconds(100), &targets);
    targets.add_one("alice@corp.example", clock->now());
    for (int i = 0; i < 100 && store->most_targeted(today, today, 5)->empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(store->most_targeted(today, today, 5)->at(0).value, 1u);
    targets.add_one("alice@corp.example", clock->now());
  }
  EXPECT_EQ(store->most_targeted(today, today, 5)->at(0).value, 2u) << "flushed once more when stopped";
}

}  // namespace
}  // namespace pushback::state
