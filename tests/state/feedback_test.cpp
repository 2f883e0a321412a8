// Feedback in both backends: a release makes the pair a dialogue and counts
// ham for the template; a delete marks template and sender as outreach for
// everyone; both expire with the retention and keep no internal address.
#include <gtest/gtest.h>

#include <memory>

#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;
using testing::fingerprint;

constexpr const char* vendor = "dana@growthly.example";
constexpr const char* other_vendor = "sam@growthly.example";
constexpr const char* alice = "alice@corp.example";
constexpr const char* bob = "bob@corp.example";

using testing::LmdbBackend;
using testing::RedisBackend;
using testing::BackendName;

template <typename Backend>
class FeedbackBehaviour : public ::testing::Test {
 protected:
  FeedbackBehaviour() {
    settings_.backend = Backend::kind;
    settings_.state_dir = dir_.path();
    settings_.retention = 24h * 50;  // at least the longest window (40 days)
    if constexpr (Backend::kind == BackendKind::redis) {
      redis_ = std::make_unique<testing::RedisServer>();
      settings_.redis.port = redis_->port();
    }
    clock_->set(TimePoint{std::chrono::seconds(1'800'000'000)});
  }

  Store& store() {
    if (!store_) store_ = open_store(settings_, clock_);
    return *store_;
  }

  History inbound(std::string sender, std::string recipient, std::string message_id, std::uint32_t template_seed) {
    Observation observation;
    observation.sender = std::move(sender);
    observation.recipients = {std::move(recipient)};
    observation.message_id = std::move(message_id);
    observation.fingerprint = fingerprint(template_seed);
    History history = store().observe(observation);
    EXPECT_NE(history.outcome, Outcome::unavailable);
    return history;
  }

  Feedback feedback(FeedbackKind kind, const History& held, std::string sender, std::string recipient) {
    Feedback out;
    out.kind = kind;
    out.sender = std::move(sender);
    out.recipients = {std::move(recipient)};
    out.template_known = held.cluster.known;
    out.template_id = static_cast<std::uint32_t>(held.cluster.id & 0xffffffffu);
    return out;
  }

  testing::TempDir dir_;
  StoreSettings settings_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<LmdbBackend, RedisBackend>;
TYPED_TEST_SUITE(FeedbackBehaviour, Backends, BackendName);

TYPED_TEST(FeedbackBehaviour, NoFeedbackMeansZeroCounts) {
  auto history = this->inbound(vendor, alice, "1@g", 1);
  EXPECT_EQ(history.feedback.template_ham, 0u);
  EXPECT_EQ(history.feedback.template_outreach, 0u);
  EXPECT_EQ(history.feedback.sender_outreach, 0u);
}

TYPED_TEST(FeedbackBehaviour, AReleaseMakesADialogueAndCountsHamForTheTemplate) {
  this->inbound(vendor, alice, "1@g", 1);
  this->clock_->advance(1h);
  auto held = this->inbound(vendor, alice, "2@g", 1);
  ASSERT_TRUE(held.cluster.known);
  ASSERT_EQ(held.pairs.at(0).streak, 2u);
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::ham, held, vendor, alice)));

  this->clock_->advance(1h);
  auto next = this->inbound(vendor, alice, "3@g", 1);
  EXPECT_TRUE(next.pairs.at(0).dialogue);
  EXPECT_EQ(next.pairs.at(0).streak, 1u);  // this message only
  EXPECT_EQ(next.feedback.template_ham, 1u);
  EXPECT_EQ(next.feedback.sender_ham, 1u);
  // The template's count lowers it for everyone: another sender, another recipient.
  auto elsewhere = this->inbound(other_vendor, bob, "4@g", 1);
  EXPECT_EQ(elsewhere.feedback.template_ham, 1u);
  EXPECT_EQ(elsewhere.feedback.sender_ham, 0u);
  EXPECT_FALSE(elsewhere.pairs.at(0).dialogue);
}

TYPED_TEST(FeedbackBehaviour, ADeleteMarksTemplateAndSenderAsOutreach) {
  auto held = this->inbound(vendor, alice, "1@g", 7);
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::outreach, held, vendor, alice)));
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::outreach, held, vendor, alice)));

  auto first_to_bob = this->inbound(other_vendor, bob, "2@g", 7);
  EXPECT_EQ(first_to_bob.cluster.id, held.cluster.id);
  EXPECT_EQ(first_to_bob.feedback.template_outreach, 2u);
  EXPECT_EQ(first_to_bob.feedback.sender_outreach, 0u);
  auto other_template = this->inbound(vendor, bob, "3@g", 99);
  EXPECT_EQ(other_template.feedback.template_outreach, 0u);
  EXPECT_EQ(other_template.feedback.sender_outreach, 2u);
  EXPECT_FALSE(other_template.pairs.at(0).dialogue);
}

TYPED_TEST(FeedbackBehaviour, ADeleteMarksTheWholeCampaign) {
  // Two mailboxes of one campaign (brand and display name link them).
  auto rotated = [&](const std::string& sender, const std::string& recipient, const std::string& id, std::uint32_t seed) {
    Observation observation;
    observation.sender = sender;
    observation.recipients = {recipient};
    observation.message_id = id;
    observation.fingerprint = fingerprint(seed);
    observation.campaign.sender.brand = "acme";
    observation.campaign.items = {{scoring::EvidenceKind::brand, "acme"},
                                  {scoring::EvidenceKind::display_name, "sam porter"}};
    return this->store().observe(observation);
  };
  auto held = rotated("sam@acme-mail.example", alice, "1@c", 7);
  auto sibling = rotated("sam@getacme.example", bob, "2@c", 8);
  ASSERT_EQ(sibling.campaign.id, held.campaign.id);
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::outreach, held, "sam@acme-mail.example", alice)));
  auto next = rotated("sam@getacme.example", bob, "3@c", 9);
  EXPECT_EQ(next.feedback.sender_outreach, 1u) << "the delete was of another mailbox of the campaign";
}

TYPED_TEST(FeedbackBehaviour, FeedbackWithoutATemplateCountsForTheSender) {
  Feedback report;
  report.kind = FeedbackKind::outreach;
  report.sender = "Dana+seq4@Growthly.example";  // normalised like every sender
  ASSERT_TRUE(this->store().record_feedback(report));
  EXPECT_EQ(this->inbound(vendor, alice, "1@g", 3).feedback.sender_outreach, 1u);
}

TYPED_TEST(FeedbackBehaviour, FeedbackExpiresWithTheRetention) {
  auto held = this->inbound(vendor, alice, "1@g", 5);
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::outreach, held, vendor, alice)));
  if constexpr (TypeParam::kind == BackendKind::redis) {
    auto ttl = std::stol(this->redis_->command({"TTL", "pb:fb:s:" + std::string(vendor)}).at(0));
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 50 * 86400);
  } else {
    this->clock_->advance(24h * 51);
    while (this->store().maintain() > 0) {
    }
    // The template went with the sweep too; a fresh message of the sender finds no feedback.
    EXPECT_EQ(this->inbound(vendor, bob, "2@g", 5).feedback.sender_outreach, 0u);
  }
}

TYPED_TEST(FeedbackBehaviour, NoInternalAddressIsStoredInClear) {
  auto held = this->inbound(vendor, alice, "1@g", 2);
  ASSERT_TRUE(this->store().record_feedback(this->feedback(FeedbackKind::ham, held, vendor, alice)));
  std::string all;
  if constexpr (TypeParam::kind == BackendKind::redis) {
    for (const auto& key : this->redis_->command({"KEYS", "*"})) {
      all += key + "\n";
      if (this->redis_->command({"TYPE", key}).at(0) == "hash") {
        for (const auto& part : this->redis_->command({"HGETALL", key})) all += part + "\n";
      }
    }
  } else {
    this->store_.reset();  // flushed to the file
    all = testing::read_file(this->dir_.path() + "/data.mdb");
  }
  EXPECT_EQ(all.find(alice), std::string::npos);
  EXPECT_NE(all.find(vendor), std::string::npos);  // external senders are kept in clear, as everywhere
}

}  // namespace
}  // namespace pushback::state
