// What only the embedded backend has: the retention sweep, the maintenance
// timer, and surviving kill -9 while counting.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "state/keyed_hash.hpp"
#include "state/maintainer.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;

Observation message(std::string sender, std::string recipient, std::string id) {
  Observation observation;
  observation.sender = std::move(sender);
  observation.recipients = {std::move(recipient)};
  observation.message_id = std::move(id);
  return observation;
}

TEST(LmdbStore, SweepExpiresIdleKeys) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  settings.sweep_batch = 7;  // several steps, so the sweep resumes where it stopped
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  ASSERT_TRUE(store->allow("partner.example"));
  for (int n = 0; n < 20; ++n) {
    store->observe(message("old" + std::to_string(n) + "@sales.example", "alice@corp.example", std::to_string(n)));
  }
  clock->advance(settings.retention - 24h);
  store->observe(message("recent@sales.example", "alice@corp.example", "recent"));
  clock->advance(48h);  // the first twenty are now idle longer than the retention
  std::size_t deleted = 0;
  for (int step = 0; step < 40; ++step) deleted += store->maintain();
  EXPECT_GE(deleted, 20u * 2);  // at least their senders and pairs
  EXPECT_FALSE(store->peek("old3@sales.example", "alice@corp.example").known);
  EXPECT_FALSE(store->inspect("old3@sales.example").known);
  EXPECT_TRUE(store->peek("recent@sales.example", "alice@corp.example").known);
  EXPECT_EQ(store->allowlist().size(), 1u) << "the allowlist never expires";
  EXPECT_EQ(store->maintain(), 0u);
}

// A pair keeps 16 bits of its last message's dedup tag (one in 32,768 of
// two different messages share them). A new message whose short tag equals
// the pair's by chance is still counted when the sender's recent messages
// show that short tag belongs to another message; a real retry is not.
TEST(LmdbStore, ShortTagCollisionIsNotTakenForARetry) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  const std::string sender = "vendor@sales.example";
  auto hasher = KeyedHasher::from_state_dir(dir.path());
  auto short_tag = [&](const std::string& id) {
    return (hasher.hash(HashKind::dedup, sender, "id:" + id) & 0xffff) | 1;
  };
  std::string first = "first@sales.example";
  std::string colliding;
  for (int n = 0; colliding.empty(); ++n) {
    std::string id = "m" + std::to_string(n) + "@sales.example";
    if (short_tag(id) == short_tag(first)) colliding = id;
  }

  store->observe(message(sender, "alice@corp.example", first));
  clock->advance(10min);
  History other = store->observe(message(sender, "alice@corp.example", colliding));
  EXPECT_EQ(other.outcome, Outcome::counted);
  EXPECT_FALSE(other.pairs.at(0).duplicate);
  EXPECT_EQ(other.pairs.at(0).messages_total, 2u);
  EXPECT_EQ(other.sender.messages, (std::vector<std::uint32_t>{2, 2, 2}));

  clock->advance(10min);  // the second one retried after a tempfail
  History retry = store->observe(message(sender, "alice@corp.example", colliding));
  EXPECT_EQ(retry.outcome, Outcome::duplicate);
  EXPECT_TRUE(retry.pairs.at(0).duplicate);
  EXPECT_EQ(retry.pairs.at(0).messages_total, 2u);
}

// A band lives as long as its cluster: once the template has expired the
// sweep removes its bands too, and a new cluster can take them.
TEST(LmdbStore, SweepRemovesBandsOfExpiredTemplates) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto clock = std::make_shared<FakeClock>();
  auto store = open_store(settings, clock);
  Observation first = message("a@sales.example", "alice@corp.example", "1");
  first.fingerprint = testing::fingerprint(7);
  History created = store->observe(first);
  ASSERT_TRUE(created.cluster.new_cluster);
  clock->advance(settings.retention + 48h);
  std::size_t deleted = 0;
  for (int step = 0; step < 3; ++step) deleted += store->maintain();
  // Sender, domain, campaign, pair, template, member and its 16 bands.
  EXPECT_EQ(deleted, 6u + 16u);
  EXPECT_EQ(store->maintain(), 0u);
  Observation again = message("b@sales.example", "bob@corp.example", "2");
  again.fingerprint = testing::fingerprint(7, 1, 4);
  History recreated = store->observe(again);
  EXPECT_TRUE(recreated.cluster.new_cluster);
  Observation third = message("c@sales.example", "carol@corp.example", "3");
  third.fingerprint = testing::fingerprint(7, 2, 4);
  History joined = store->observe(third);
  EXPECT_FALSE(joined.cluster.new_cluster);
  EXPECT_EQ(joined.cluster.id, recreated.cluster.id);
}

// A store written with another record format is refused, naming the directory.
TEST(LmdbStore, RefusesAnotherFormatVersion) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  open_store(settings, std::make_shared<SystemClock>()).reset();
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_open(env, dir.path().c_str(), 0, 0600), 0);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &dbi), 0);
  std::string key = "mformat";
  std::string old = "1";
  MDB_val k{key.size(), key.data()};
  MDB_val v{old.size(), old.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  try {
    open_store(settings, std::make_shared<SystemClock>());
    FAIL() << "opened a format 1 store";
  } catch (const std::runtime_error& error) {
    std::string what = error.what();
    EXPECT_NE(what.find(dir.path()), std::string::npos) << what;
    EXPECT_NE(what.find("format 1"), std::string::npos) << what;
    EXPECT_NE(what.find("start afresh"), std::string::npos) << what;
  }
}

TEST(LmdbStore, MaintainerRunsOnItsTimer) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto store = open_store(settings, std::make_shared<SystemClock>());
  Maintainer maintainer(*store, 5ms);
  for (int wait = 0; wait < 400 && maintainer.runs() < 3; ++wait) std::this_thread::sleep_for(5ms);
  EXPECT_GE(maintainer.runs(), 3u);
}

TEST(LmdbStore, CreatesItsDirectoryOrSaysWhyNot) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path() + "/missing/deeper";
  EXPECT_NO_THROW(open_store(settings, std::make_shared<SystemClock>()));
  settings.state_dir = "/proc/version/not-a-dir";
  EXPECT_THROW(open_store(settings, std::make_shared<SystemClock>()), std::runtime_error);
}

// Starts the helper, lets it count for a random time, kills it with SIGKILL
// and returns the last total it reported as committed.
std::uint32_t run_and_kill(const std::string& dir, std::mt19937& random) {
  int out[2];
  EXPECT_EQ(::pipe(out), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(STATE_CRASH_HELPER, "state_crash_helper", dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100 + random() % 400);
  std::string pending;
  std::uint32_t last = 0;
  char buffer[4096];
  bool killed = false;
  while (true) {
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);  // mid-transaction, most likely
      killed = true;
    }
    auto got = ::read(out[0], buffer, sizeof buffer);
    if (got <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(got));
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      last = static_cast<std::uint32_t>(std::stoul(pending.substr(0, end)));
      pending.erase(0, end + 1);
    }
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the helper stopped on its own: " << status;
  return last;
}

TEST(LmdbStore, SurvivesKillNineWhileCounting) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  std::uint32_t reported = 0;
  for (int round = 0; round < 6; ++round) {
    std::uint32_t last = run_and_kill(dir.path(), random);
    ASSERT_GT(last, reported) << "round " << round << " counted nothing";
    reported = last;
    StoreSettings settings;
    settings.state_dir = dir.path();
    auto store = open_store(settings, std::make_shared<SystemClock>());  // opens clean
    PairSnapshot pair = store->peek("loop@sales.example", "alice@corp.example");
    ASSERT_TRUE(pair.available);
    // A process crash loses nothing committed; one message may have been
    // committed after its total was printed.
    EXPECT_GE(pair.messages_total, reported) << "round " << round;
    EXPECT_LE(pair.messages_total, reported + 1) << "round " << round;
    reported = pair.messages_total;
    TopReport top = store->top(3);  // reads every record
    ASSERT_TRUE(top.available);
    ASSERT_FALSE(top.senders_by_volume.empty());
    EXPECT_GE(top.senders_by_volume[0].value, reported);
  }
}

}  // namespace
}  // namespace pushback::state
