// The behaviour every backend must show, run against LMDB and Redis alike:
// windows, streaks, replies, duplicates, templates, hashing, admin calls.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <thread>

#include "state/keyed_hash.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;
using testing::fingerprint;
using Counts = std::vector<std::uint32_t>;

constexpr const char* vendor = "jim@sales.example";
constexpr const char* alice = "alice@corp.example";
constexpr const char* bob = "bob@corp.example";

using testing::LmdbBackend;
using testing::RedisBackend;
using testing::BackendName;

template <typename Backend>
class StoreBehaviour : public ::testing::Test {
 protected:
  StoreBehaviour() {
    settings_.backend = Backend::kind;
    settings_.state_dir = dir_.path();
    if constexpr (Backend::kind == BackendKind::redis) {
      redis_ = std::make_unique<testing::RedisServer>();
      settings_.redis.port = redis_->port();
    }
  }

  Store& store() {
    if (!store_) store_ = open_store(settings_, clock_);
    return *store_;
  }

  History inbound(std::string sender, std::vector<std::string> recipients, std::string message_id,
                  scoring::Fingerprint fp = {}, std::vector<std::string> in_reply_to = {},
                  std::vector<std::string> references = {}) {
    Observation observation;
    observation.sender = std::move(sender);
    observation.recipients = std::move(recipients);
    observation.message_id = std::move(message_id);
    observation.fingerprint = fp;
    observation.in_reply_to = std::move(in_reply_to);
    observation.references = std::move(references);
    History history = store().observe(observation);
    EXPECT_NE(history.outcome, Outcome::unavailable);
    return history;
  }

  History outbound(std::string user, std::vector<std::string> recipients, std::string message_id) {
    Observation observation;
    observation.direction = Direction::outbound;
    observation.sender = std::move(user);
    observation.recipients = std::move(recipients);
    observation.message_id = std::move(message_id);
    History history = store().observe(observation);
    EXPECT_EQ(history.outcome, Outcome::counted);
    return history;
  }

  // Every byte the backend keeps, for "not in clear" checks.
  std::string stored_bytes() {
    if constexpr (Backend::kind == BackendKind::lmdb) {
      return testing::read_file(dir_.path() + "/data.mdb");
    } else {
      std::string all;
      for (const auto& key : redis_->command({"KEYS", "*"})) {
        all += key + "\n";
        std::string type = redis_->command({"TYPE", key}).at(0);
        std::vector<std::string> value;
        if (type == "hash") value = redis_->command({"HGETALL", key});
        if (type == "zset") value = redis_->command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
        if (type == "string") value = redis_->command({"GET", key});
        for (const auto& part : value) all += part + "\n";
      }
      return all;
    }
  }

  testing::TempDir dir_;
  StoreSettings settings_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<LmdbBackend, RedisBackend>;
TYPED_TEST_SUITE(StoreBehaviour, Backends, BackendName);

TYPED_TEST(StoreBehaviour, StreakGrowsUntilTheRecipientWritesBack) {
  for (std::uint32_t n = 1; n <= 4; ++n) {
    History history = this->inbound(vendor, {alice}, "m" + std::to_string(n) + "@sales.example");
    ASSERT_EQ(history.pairs.size(), 1u);
    EXPECT_EQ(history.pairs.at(0).streak, n);
    EXPECT_EQ(history.pairs.at(0).messages_total, n);
    EXPECT_FALSE(history.pairs.at(0).dialogue);
    this->clock_->advance(24h * 3);
  }
  PairSnapshot before = this->store().peek(vendor, alice);
  EXPECT_TRUE(before.available);
  EXPECT_TRUE(before.known);
  EXPECT_EQ(before.streak, 4u);

  History reply = this->outbound("Alice@Corp.Example", {"Jim+crm@Sales.Example"}, "reply1@corp.example");
  ASSERT_EQ(reply.pairs.size(), 1u);
  EXPECT_EQ(reply.pairs.at(0).streak, 0u);
  EXPECT_TRUE(reply.pairs.at(0).dialogue);

  PairSnapshot after = this->store().peek(vendor, alice);
  EXPECT_EQ(after.streak, 0u);
  EXPECT_TRUE(after.dialogue);
  EXPECT_EQ(after.messages_total, 4u);
  EXPECT_EQ(after.last_reply, this->clock_->now() - this->clock_->now().time_since_epoch() % 1s);

  this->clock_->advance(1h);
  History next = this->inbound(vendor, {alice}, "m5@sales.example");
  EXPECT_EQ(next.pairs.at(0).streak, 1u);
  EXPECT_TRUE(next.pairs.at(0).dialogue);
  EXPECT_EQ(next.pairs.at(0).messages_total, 5u);
  // Bob never answered: his pair is untouched by Alice's reply.
  EXPECT_EQ(this->inbound(vendor, {bob}, "m6@sales.example").pairs.at(0).streak, 1u);
}

TYPED_TEST(StoreBehaviour, WindowsSlideWithTheClock) {
  const auto start = this->clock_->now();
  History h1 = this->inbound(vendor, {alice}, "w1@x");
  EXPECT_EQ(h1.sender.messages, (Counts{1, 1, 1}));
  EXPECT_EQ(h1.sender.recipients, (Counts{1, 1, 1}));
  EXPECT_EQ(h1.windows, this->settings_.windows);

  this->clock_->set(start + 23h);
  History h2 = this->inbound(vendor, {bob}, "w2@x");
  EXPECT_EQ(h2.sender.messages, (Counts{2, 2, 2}));
  EXPECT_EQ(h2.sender.recipients, (Counts{2, 2, 2}));
  EXPECT_EQ(h2.domain.messages, (Counts{2, 2, 2}));

  this->clock_->set(start + 49h);
  History h3 = this->inbound(vendor, {alice}, "w3@x");
  EXPECT_EQ(h3.sender.messages, (Counts{1, 3, 3}));
  EXPECT_EQ(h3.sender.recipients, (Counts{1, 2, 2}));
  EXPECT_EQ(h3.pairs.at(0).messages, (Counts{1, 2, 2}));

  this->clock_->set(start + 24h * 10);
  History h4 = this->inbound(vendor, {alice}, "w4@x");
  EXPECT_EQ(h4.sender.messages, (Counts{1, 1, 4}));
  EXPECT_EQ(h4.sender.recipients, (Counts{1, 1, 2}));
  EXPECT_EQ(h4.pairs.at(0).messages, (Counts{1, 1, 3}));
  EXPECT_EQ(h4.pairs.at(0).messages_total, 3u);

  // 45 days on, only the day-10 message is still inside 40 days.
  this->clock_->set(start + 24h * 45);
  History h5 = this->inbound(vendor, {bob}, "w5@x");
  EXPECT_EQ(h5.sender.messages, (Counts{1, 1, 2}));
  EXPECT_EQ(h5.sender.recipients, (Counts{1, 1, 2}));
  EXPECT_EQ(h5.pairs.at(0).messages, (Counts{1, 1, 1}));
  EXPECT_EQ(h5.pairs.at(0).messages_total, 2u);
  EXPECT_EQ(h5.pairs.at(0).streak, 2u);

  // Another sender of the same domain adds to the domain only.
  History other = this->inbound("amy@sales.example", {alice}, "w6@x");
  EXPECT_EQ(other.sender.messages, (Counts{1, 1, 1}));
  EXPECT_EQ(other.domain.messages, (Counts{2, 2, 3}));
  EXPECT_EQ(other.domain.recipients, (Counts{2, 2, 2}));
}

// A template's distinct counts stop growing at the cap; members already
// counted still move to the window of their latest message.
TYPED_TEST(StoreBehaviour, TemplateReachStopsAtTheCap) {
  this->settings_.distinct_cap = 3;
  const auto fp = fingerprint(1);
  History last;
  for (int n = 0; n < 5; ++n) {
    last = this->inbound(vendor, {"user" + std::to_string(n) + "@corp.example"}, "c" + std::to_string(n) + "@x", fp);
    this->clock_->advance(2h);
  }
  EXPECT_EQ(last.sender.recipients, (Counts{5, 5, 5})) << "a sender's own recipients are not capped";
  EXPECT_EQ(last.cluster.counts.recipients, (Counts{3, 3, 3}));
  EXPECT_TRUE(last.cluster.saturated);

  // A day on, a recipient counted before comes back: still one of the three,
  // now the only one inside the last 24 hours.
  this->clock_->advance(24h);
  History again = this->inbound(vendor, {"user0@corp.example"}, "c9@x", fp);
  EXPECT_EQ(again.cluster.counts.recipients, (Counts{1, 3, 3}));
  EXPECT_EQ(again.sender.recipients, (Counts{1, 5, 5}));
}

TYPED_TEST(StoreBehaviour, InReplyToAndReferencesAreRealReplies) {
  this->outbound(alice, {vendor}, "sent-1@corp.example");
  this->clock_->advance(2h);
  History by_in_reply_to = this->inbound(vendor, {alice}, "r1@sales.example", {}, {"sent-1@corp.example"});
  EXPECT_TRUE(by_in_reply_to.cites_ids);
  EXPECT_TRUE(by_in_reply_to.answers_our_message);

  History by_references =
      this->inbound(vendor, {alice}, "r2@sales.example", {}, {}, {"elsewhere@x.example", "sent-1@corp.example"});
  EXPECT_TRUE(by_references.answers_our_message);

  // "Re:" with an In-Reply-To that points at nothing our users sent.
  History fake = this->inbound("bulk@outreach.example", {bob}, "r3@outreach.example", {}, {"made-up@outreach.example"});
  EXPECT_TRUE(fake.cites_ids);
  EXPECT_FALSE(fake.answers_our_message);

  History plain = this->inbound("bulk@outreach.example", {bob}, "r4@outreach.example");
  EXPECT_FALSE(plain.cites_ids);
  EXPECT_FALSE(plain.answers_our_message);
}

TYPED_TEST(StoreBehaviour, DuplicateDeliveriesCountOnce) {
  History first = this->inbound(vendor, {alice, bob}, "dup@sales.example");
  EXPECT_EQ(first.outcome, Outcome::counted);
  this->clock_->advance(20min);  // retried after a tempfail
  History retry = this->inbound(vendor, {alice, bob}, "dup@sales.example");
  EXPECT_EQ(retry.outcome, Outcome::duplicate);
  EXPECT_TRUE(retry.pairs.at(0).duplicate);
  EXPECT_EQ(retry.pairs.at(0).streak, 1u);
  EXPECT_EQ(retry.sender.messages, (Counts{1, 1, 1}));
  EXPECT_EQ(retry.sender.recipients, (Counts{2, 2, 2}));

  // The sending MTA split the recipients: same Message-ID, a new recipient.
  History split = this->inbound(vendor, {"carol@corp.example"}, "dup@sales.example");
  EXPECT_EQ(split.outcome, Outcome::counted);
  EXPECT_FALSE(split.pairs.at(0).duplicate);
  EXPECT_EQ(split.sender.messages, (Counts{1, 1, 1}));
  EXPECT_EQ(split.sender.recipients, (Counts{3, 3, 3}));

  // Without a Message-ID the exact text decides.
  auto fp = fingerprint(7);
  EXPECT_EQ(this->inbound(vendor, {alice}, "", fp).outcome, Outcome::counted);
  History again = this->inbound(vendor, {alice}, "", fp);
  EXPECT_EQ(again.outcome, Outcome::duplicate);
  EXPECT_EQ(again.pairs.at(0).streak, 2u);
  EXPECT_EQ(again.cluster.messages_total, 1u);

  // The same recipient twice in one envelope counts once.
  History twice = this->inbound(vendor, {bob, "Bob@corp.example"}, "twice@sales.example");
  EXPECT_EQ(twice.pairs.at(0).streak, 2u);
  EXPECT_FALSE(twice.pairs.at(0).duplicate);
  EXPECT_TRUE(twice.pairs.at(1).duplicate);
  EXPECT_EQ(this->store().peek(vendor, bob).streak, 2u);

  // Beyond the dedup window the same id is a new message.
  this->clock_->advance(this->settings_.dedup_window + 1h);
  EXPECT_EQ(this->inbound(vendor, {alice, bob}, "dup@sales.example").outcome, Outcome::counted);
}

TYPED_TEST(StoreBehaviour, TemplateReachAcrossRecipientsAndSenders) {
  std::uint64_t cluster = 0;
  for (int n = 0; n < 40; ++n) {
    std::string sender = n % 2 == 0 ? vendor : "amy@sales.example";
    // Personalisation changes a few MinHash values per recipient.
    auto fp = fingerprint(1, static_cast<std::uint32_t>(n), 6);
    History history = this->inbound(sender, {"user" + std::to_string(n) + "@corp.example"},
                                     "t" + std::to_string(n) + "@sales.example", fp);
    ASSERT_TRUE(history.cluster.known);
    if (n == 0) {
      EXPECT_TRUE(history.cluster.new_cluster);
      cluster = history.cluster.id;
    } else {
      EXPECT_FALSE(history.cluster.new_cluster) << n;
      EXPECT_EQ(history.cluster.id, cluster) << n;
      EXPECT_GE(history.cluster.similarity, 0.8);
    }
    EXPECT_EQ(history.cluster.counts.recipients.back(), static_cast<std::uint32_t>(n + 1));
    EXPECT_EQ(history.cluster.senders.back(), n == 0 ? 1u : 2u);
    EXPECT_EQ(history.cluster.messages_total, static_cast<std::uint32_t>(n + 1));
    this->clock_->advance(10min);
  }
  History other = this->inbound(vendor, {alice}, "other@sales.example", fingerprint(2));
  EXPECT_TRUE(other.cluster.new_cluster);
  EXPECT_NE(other.cluster.id, cluster);
  EXPECT_EQ(other.cluster.counts.recipients.back(), 1u);

  TopReport top = this->store().top(5);
  ASSERT_TRUE(top.available);
  ASSERT_FALSE(top.templates_by_reach.empty());
  EXPECT_EQ(top.templates_by_reach[0].name, to_hex(cluster));
  EXPECT_EQ(top.templates_by_reach[0].value, 40u);
}

TYPED_TEST(StoreBehaviour, FollowUpsLinkToTheEarlierStep) {
  History step1 = this->inbound(vendor, {alice}, "s1@x", fingerprint(10));
  EXPECT_EQ(step1.pairs.at(0).steps, 1u);
  EXPECT_FALSE(step1.pairs.at(0).follows_template);
  this->clock_->advance(24h * 3);
  History step2 = this->inbound(vendor, {alice}, "s2@x", fingerprint(11));
  EXPECT_EQ(step2.pairs.at(0).steps, 2u);
  EXPECT_TRUE(step2.pairs.at(0).follows_template);
  EXPECT_FALSE(step2.pairs.at(0).template_repeat);
  EXPECT_EQ(step2.pairs.at(0).previous_seen, step1.pairs.at(0).first_seen);
  this->clock_->advance(24h * 3);
  History bump = this->inbound(vendor, {alice}, "s3@x", fingerprint(11, 1, 2));
  EXPECT_EQ(bump.pairs.at(0).steps, 2u);
  EXPECT_TRUE(bump.pairs.at(0).template_repeat);
  EXPECT_TRUE(bump.pairs.at(0).follows_template);
  // Bob only ever got the first step.
  History other = this->inbound(vendor, {bob}, "s4@x", fingerprint(10, 3, 1));
  EXPECT_FALSE(other.pairs.at(0).follows_template);
  EXPECT_EQ(other.pairs.at(0).steps, 1u);

  SenderReport report = this->store().inspect(vendor, alice);
  ASSERT_TRUE(report.available);
  ASSERT_EQ(report.pairs.size(), 1u);
  EXPECT_EQ(report.pairs.at(0).templates.size(), 2u);
  EXPECT_EQ(report.pairs.at(0).steps, 2u);
  EXPECT_EQ(report.templates.size(), 2u);
}

TYPED_TEST(StoreBehaviour, InternalAddressesAndSentIdsAreOnlyHashed) {
  this->outbound(alice, {vendor}, "private-thread-42@corp.example");
  this->inbound(vendor, {alice, bob}, "pitch@sales.example", fingerprint(3), {"private-thread-42@corp.example"});
  this->store().top(3);
  this->store_.reset();  // LMDB: everything is in the file now
  std::string bytes = this->stored_bytes();
  ASSERT_FALSE(bytes.empty());
  EXPECT_NE(bytes.find(vendor), std::string::npos) << "external senders are kept in clear for inspect";
  for (std::string secret : {"alice@corp.example", "bob@corp.example", "alice", "private-thread-42"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }
}

TYPED_TEST(StoreBehaviour, SecretKeyFileIsPrivateAndStable) {
  this->inbound(vendor, {alice}, "k1@x");
  std::string path = this->dir_.path() + "/" + secret_key_file;
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 32);
  std::string key = testing::read_file(path);
  this->store_.reset();
  EXPECT_EQ(this->store().peek(vendor, alice).streak, 1u) << "reopened with the same key";
  EXPECT_EQ(testing::read_file(path), key);
}

TYPED_TEST(StoreBehaviour, AllowlistAndForget) {
  EXPECT_FALSE(this->inbound(vendor, {alice}, "a1@x").allowlisted);
  ASSERT_TRUE(this->store().allow("Sales.Example"));
  ASSERT_TRUE(this->store().allow("Friend+news@Partner.Example"));
  EXPECT_TRUE(this->inbound(vendor, {alice}, "a2@x").allowlisted);
  EXPECT_TRUE(this->inbound("friend@partner.example", {alice}, "a3@x").allowlisted);
  EXPECT_FALSE(this->inbound("other@partner.example", {alice}, "a4@x").allowlisted);
  EXPECT_TRUE(this->store().peek(vendor, alice).allowlisted);
  auto list = this->store().allowlist();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].entry, "friend@partner.example");
  EXPECT_EQ(list[1].entry, "sales.example");
  ASSERT_TRUE(this->store().disallow("sales.example"));
  EXPECT_FALSE(this->store().peek(vendor, alice).allowlisted);

  EXPECT_EQ(this->store().peek(vendor, alice).streak, 2u);
  ASSERT_TRUE(this->store().forget(vendor));
  PairSnapshot gone = this->store().peek(vendor, alice);
  EXPECT_TRUE(gone.available);
  EXPECT_FALSE(gone.known);
  EXPECT_EQ(gone.streak, 0u);
  EXPECT_FALSE(this->store().inspect(vendor).known);
  EXPECT_EQ(this->inbound(vendor, {alice}, "a5@x").pairs.at(0).streak, 1u);
}

TYPED_TEST(StoreBehaviour, InspectAndTop) {
  for (int n = 0; n < 5; ++n) {
    this->inbound(vendor, {alice}, "i" + std::to_string(n) + "@x");
    this->clock_->advance(24h);
  }
  for (int n = 0; n < 3; ++n) this->inbound("amy@sales.example", {"u" + std::to_string(n) + "@corp.example"}, "j" + std::to_string(n) + "@x");
  this->inbound("amy@sales.example", {bob}, "j9@x");

  SenderReport report = this->store().inspect(vendor);
  ASSERT_TRUE(report.available);
  EXPECT_TRUE(report.known);
  EXPECT_EQ(report.sender, vendor);
  EXPECT_EQ(report.domain, "sales.example");
  EXPECT_EQ(report.counts.messages, (Counts{0, 5, 5}));
  EXPECT_EQ(report.domain_counts.messages, (Counts{4, 9, 9}));
  ASSERT_EQ(report.pairs.size(), 1u);
  EXPECT_EQ(report.pairs.at(0).streak, 5u);
  // The keyed hash in hex: whole (Redis), or the ten digits a pair key keeps (LMDB).
  EXPECT_GE(report.pairs.at(0).recipient.size(), 10u);
  EXPECT_EQ(this->store().inspect(vendor, bob).pairs.size(), 0u);
  EXPECT_EQ(this->store().inspect("amy@sales.example", bob).pairs.size(), 1u);
  EXPECT_FALSE(this->store().inspect("nobody@nowhere.example").known);

  TopReport top = this->store().top(1);
  ASSERT_TRUE(top.available);
  ASSERT_EQ(top.senders_by_streak.size(), 1u);
  EXPECT_EQ(top.senders_by_streak[0].name, vendor);
  EXPECT_EQ(top.senders_by_streak[0].value, 5u);
  ASSERT_EQ(top.senders_by_reach.size(), 1u);
  EXPECT_EQ(top.senders_by_reach[0].name, "amy@sales.example");
  EXPECT_EQ(top.senders_by_reach[0].value, 4u);
  ASSERT_EQ(top.senders_by_volume.size(), 1u);
  EXPECT_EQ(top.senders_by_volume[0].name, vendor);
}

TYPED_TEST(StoreBehaviour, ConcurrentObserversLoseNothing) {
  this->store();
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([this, t] {
      for (int n = 0; n < 25; ++n) {
        Observation observation;
        observation.sender = vendor;
        observation.recipients = {"w" + std::to_string(t) + "@corp.example", alice};
        observation.message_id = std::to_string(t) + "-" + std::to_string(n) + "@x";
        EXPECT_EQ(this->store_->observe(observation).outcome, Outcome::counted);
        this->store_->peek(vendor, alice);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(this->store().peek(vendor, alice).streak, 100u);
  SenderReport report = this->store().inspect(vendor);
  EXPECT_EQ(report.counts.messages, (Counts{100, 100, 100}));
  EXPECT_EQ(report.counts.recipients, (Counts{5, 5, 5}));
}

TYPED_TEST(StoreBehaviour, PeekOfAnUnknownPair) {
  PairSnapshot snapshot = this->store().peek("new@unknown.example", alice);
  EXPECT_TRUE(snapshot.available);
  EXPECT_FALSE(snapshot.known);
  EXPECT_EQ(snapshot.streak, 0u);
  EXPECT_FALSE(snapshot.dialogue);
}

TEST(MessageIds, ReadsHeaderValues) {
  EXPECT_EQ(message_ids("<a@b> <c@d>\r\n <e@f>"), (std::vector<std::string>{"a@b", "c@d", "e@f"}));
  EXPECT_EQ(message_ids("  bare@id.example "), (std::vector<std::string>{"bare@id.example"}));
  EXPECT_EQ(message_ids("<broken"), (std::vector<std::string>{}));
  EXPECT_EQ(message_ids(""), (std::vector<std::string>{}));
  std::string many;
  for (int n = 0; n < 40; ++n) many += "<" + std::to_string(n) + "@x> ";
  auto ids = message_ids(many);
  ASSERT_EQ(ids.size(), 32u);
  EXPECT_EQ(ids.back(), "39@x");
}

TEST(StoreSettings, Validation) {
  StoreSettings settings;
  EXPECT_EQ(validate(settings), "");
  settings.retention = std::chrono::hours(24);
  EXPECT_NE(validate(settings), "");
  settings = {};
  settings.windows.clear();
  EXPECT_NE(validate(settings), "");
  settings = {};
  settings.template_similarity = 0;
  EXPECT_NE(validate(settings), "");
}

}  // namespace
}  // namespace pushback::state
