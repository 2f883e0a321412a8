// What only the Redis backend has: one round trip per message, expiry by
// TTL, and an outage that lets mail pass and heals by itself.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <thread>

#include "state/redis_store.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;
using Counts = std::vector<std::uint32_t>;

class RedisStoreTest : public ::testing::Test {
 protected:
  RedisStoreTest() {
    settings_.backend = BackendKind::redis;
    settings_.state_dir = dir_.path();
    settings_.redis.port = redis_.port();
    settings_.redis.retry_interval = 200ms;
    store_ = open_store(settings_, clock_);
  }

  History observe(int n, std::vector<std::string> recipients = {"alice@corp.example", "bob@corp.example"}) {
    Observation observation;
    observation.sender = "jim@sales.example";
    observation.recipients = std::move(recipients);
    observation.message_id = "m" + std::to_string(n) + "@sales.example";
    observation.fingerprint = testing::fingerprint(1, static_cast<std::uint32_t>(n), 4);
    observation.references = {"x" + std::to_string(n) + "@y"};
    return store_->observe(observation);
  }

  // One message from the same sender through another store: another mail
  // server sharing this Redis, or one set up differently.
  static History observe_on(Store& store, const std::string& recipient, const std::string& message_id) {
    Observation observation;
    observation.sender = "jim@sales.example";
    observation.recipients = {recipient};
    observation.message_id = message_id;
    return store.observe(observation);
  }

  testing::TempDir dir_;
  testing::RedisServer redis_;
  StoreSettings settings_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<Store> store_;
};

TEST_F(RedisStoreTest, OneRoundTripPerMessage) {
  observe(0);  // connects and loads the script
  std::uint64_t evalsha = redis_.calls("evalsha");
  testing::Monitor monitor(redis_.port());
  constexpr int messages = 50;
  for (int n = 1; n <= messages; ++n) ASSERT_EQ(observe(n).outcome, Outcome::counted);
  int client_commands = 0;
  int script_commands = 0;
  for (const auto& line : monitor.drain()) {
    (line.find(" lua]") != std::string::npos ? script_commands : client_commands)++;
  }
  EXPECT_EQ(client_commands, messages) << "one command from the client per message";
  EXPECT_GT(script_commands, messages) << "the work happens inside the script";
  EXPECT_EQ(redis_.calls("evalsha") - evalsha, static_cast<std::uint64_t>(messages));
}

TEST_F(RedisStoreTest, EveryCountingKeyExpires) {
  for (int n = 0; n < 3; ++n) observe(n);
  Observation reply;
  reply.direction = Direction::outbound;
  reply.sender = "alice@corp.example";
  reply.recipients = {"jim@sales.example"};
  reply.message_id = "r@corp.example";
  store_->observe(reply);
  store_->allow("partner.example");
  for (const auto& key : redis_.command({"KEYS", "*"})) {
    auto ttl = std::stoll(redis_.command({"TTL", key}).at(0));
    if (key == "pb:a") {  // the allowlist: written by the admin, kept until removed
      EXPECT_EQ(ttl, -1) << key;
    } else {
      EXPECT_GT(ttl, 0) << key;
      EXPECT_LE(ttl, settings_.retention.count() + 86400) << key;
    }
  }
}

// Owners written before distinct counts were kept as histograms in their
// hashes: the first message after the upgrade builds them from the sets.
TEST_F(RedisStoreTest, DistinctCountsCarryOverFromOwnersWithoutHistograms) {
  observe(1, {"a@corp.example", "b@corp.example"});
  clock_->advance(30h);
  observe(2, {"c@corp.example"});
  int stripped = 0;
  for (const auto& key : redis_.command({"KEYS", "pb:[sdtc]:*"})) {
    std::vector<std::string> strip{"HDEL", key, "hv"};
    for (const auto& field : redis_.command({"HKEYS", key})) {
      if (field.size() > 1 && (field[0] == 'r' || field[0] == 'u') && std::isdigit(static_cast<unsigned char>(field[1]))) {
        strip.push_back(field);
      }
    }
    if (strip.size() > 3) ++stripped;
    redis_.command(strip);
  }
  ASSERT_EQ(stripped, 4) << "sender, domain, template and campaign keep histograms";

  History history = observe(3, {"a@corp.example", "d@corp.example"});
  const Counts four_then_three{3, 4, 4};  // c, a, d today; a, b, c, d in 7 and 40 days
  EXPECT_EQ(history.sender.recipients, four_then_three);
  EXPECT_EQ(history.domain.recipients, four_then_three);
  EXPECT_EQ(history.cluster.counts.recipients, four_then_three);
  EXPECT_EQ(history.cluster.senders, (Counts{1, 1, 1}));
  ASSERT_TRUE(history.campaign.known);
  EXPECT_EQ(history.campaign.counts.recipients, four_then_three);
}

TEST_F(RedisStoreTest, OutageLetsMailPassAndCountingResumes) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));

  ASSERT_EQ(observe(1).outcome, Outcome::counted);
  redis_.stop();
  for (int n = 2; n < 12; ++n) {
    auto started = std::chrono::steady_clock::now();
    History history = observe(n);
    EXPECT_EQ(history.outcome, Outcome::unavailable);
    EXPECT_TRUE(history.pairs.empty());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms) << "a dead Redis must not stall the milter";
    EXPECT_FALSE(store_->peek("jim@sales.example", "alice@corp.example").available);
    std::this_thread::sleep_for(30ms);
  }
  EXPECT_FALSE(store_->inspect("jim@sales.example").available);

  redis_.start();  // same port, empty data (no persistence)
  History resumed;
  for (int attempt = 0; attempt < 100; ++attempt) {
    resumed = observe(100 + attempt);
    if (resumed.outcome == Outcome::counted) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(resumed.outcome, Outcome::counted);
  EXPECT_EQ(resumed.pairs.at(0).streak, 1u);
  EXPECT_EQ(observe(1000).pairs.at(0).streak, 2u);

  int down = 0;
  int up = 0;
  for (const auto& line : sink->last_formatted()) {
    if (line.find("unavailable") != std::string::npos) ++down;
    if (line.find("reachable again") != std::string::npos) ++up;
  }
  spdlog::set_default_logger(previous);
  EXPECT_EQ(down, 1) << "the outage is logged once when it starts";
  EXPECT_EQ(up, 1) << "and once when it ends";
}

// The windows changed in the configuration: the sums kept per owner were for
// the old ones, so the next message sums the owner's buckets again.
TEST_F(RedisStoreTest, OwnerSumsFollowAChangeOfWindows) {
  observe(1, {"a@corp.example"});
  clock_->advance(50h);
  observe(2, {"b@corp.example"});
  StoreSettings narrower = settings_;
  narrower.windows = {std::chrono::hours(72), std::chrono::hours(24 * 7)};
  auto store = open_store(narrower, clock_);
  History history = observe_on(*store, "c@corp.example", "m3@sales.example");
  ASSERT_EQ(history.outcome, Outcome::counted);
  EXPECT_EQ(history.sender.messages, (Counts{3, 3}));  // all three within 72 hours
  EXPECT_EQ(history.sender.recipients, (Counts{3, 3}));
}

// A year-long window and an owner idle for most of it: the buckets that
// left the window are too many for one Lua call, and still all counted out.
TEST_F(RedisStoreTest, AYearLongWindowAfterMonthsOfSilence) {
  StoreSettings yearly = settings_;
  yearly.windows = {std::chrono::hours(24), std::chrono::hours(24 * 365)};
  yearly.retention = std::chrono::hours(24 * 400);
  auto store = open_store(yearly, clock_);
  for (int day = 0; day < 3; ++day) {
    ASSERT_EQ(observe_on(*store, "r" + std::to_string(day) + "@corp.example", "d" + std::to_string(day) + "@x").outcome,
              Outcome::counted);
    clock_->advance(std::chrono::hours(24 * 200));
  }
  // Days 0, 200 and 400 were counted; on day 600 only 400 is within the year.
  History history = observe_on(*store, "r0@corp.example", "d600@x");
  ASSERT_EQ(history.outcome, Outcome::counted);
  EXPECT_EQ(history.sender.messages, (Counts{1, 2}));
  EXPECT_EQ(history.sender.recipients, (Counts{1, 2}));
}

// Two mail servers whose clocks differ across a bucket boundary: the one
// behind counts in the owner's latest bucket; nothing is lost or negative.
TEST_F(RedisStoreTest, AMessageStampedBeforeTheOwnersBucketStillCounts) {
  observe(1, {"a@corp.example"});
  clock_->advance(2h);
  observe(2, {"b@corp.example"});
  auto behind = std::make_shared<FakeClock>();
  behind->set(clock_->now() - 90min);
  auto second = open_store(settings_, behind);
  History late = observe_on(*second, "a@corp.example", "late@sales.example");
  ASSERT_EQ(late.outcome, Outcome::counted);
  EXPECT_EQ(late.sender.messages, (Counts{3, 3, 3}));
  EXPECT_EQ(late.sender.recipients, (Counts{2, 2, 2}));
  EXPECT_EQ(late.pairs.at(0).streak, 2u);

  clock_->advance(25h);  // a, b and the late a all leave the 24-hour window
  History next = observe(4, {"c@corp.example"});
  EXPECT_EQ(next.sender.messages, (Counts{1, 4, 4}));
  EXPECT_EQ(next.sender.recipients, (Counts{1, 3, 3}));
}

// A Redis on this host through its unix socket: no TCP port is needed.
TEST_F(RedisStoreTest, CountsThroughAUnixSocket) {
  StoreSettings local = settings_;
  local.redis.host = redis_.socket_path();
  local.redis.port = 1;  // nothing listens there: only the socket can work
  auto store = open_store(local, clock_);
  ASSERT_EQ(observe_on(*store, "alice@corp.example", "first@sales.example").outcome, Outcome::counted);
  History second = observe_on(*store, "alice@corp.example", "second@sales.example");
  ASSERT_EQ(second.outcome, Outcome::counted);
  EXPECT_EQ(second.pairs.at(0).streak, 2u);
  EXPECT_TRUE(store->peek("jim@sales.example", "alice@corp.example").available);
  EXPECT_EQ(store->peek("jim@sales.example", "alice@corp.example").streak, 2u);
  bool refused = false;
  EXPECT_EQ(check_redis(local.redis, refused), "");

  redis_.stop();
  std::string error = check_redis(local.redis, refused);
  EXPECT_NE(error.find("unix:" + redis_.socket_path()), std::string::npos) << error;
  EXPECT_FALSE(refused);
}

TEST_F(RedisStoreTest, StartsWhileRedisIsDown) {
  redis_.stop();
  auto store = open_store(settings_, clock_);
  Observation observation;
  observation.sender = "jim@sales.example";
  observation.recipients = {"alice@corp.example"};
  EXPECT_EQ(store->observe(observation).outcome, Outcome::unavailable);
  EXPECT_FALSE(store->top(3).available);
  EXPECT_FALSE(store->allow("x.example"));
}

TEST_F(RedisStoreTest, TwoServersShareOneView) {
  // A second mail server: its own process state, the same Redis and key file.
  auto second = open_store(settings_, clock_);
  observe(1, {"alice@corp.example"});
  Observation observation;
  observation.sender = "jim@sales.example";
  observation.recipients = {"alice@corp.example"};
  observation.message_id = "other@sales.example";
  History history = second->observe(observation);
  EXPECT_EQ(history.pairs.at(0).streak, 2u);
  EXPECT_EQ(store_->peek("jim@sales.example", "alice@corp.example").streak, 2u);
}

}  // namespace
}  // namespace pushback::state
