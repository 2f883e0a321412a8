// Campaigns across rotated mailboxes, against both backends with a fake
// clock: a rotated sequence builds one streak, a reply to one mailbox ends
// that recipient's streak only, unrelated senders on shared infrastructure
// stay apart, template lineage links alone, a new mailbox is known by its
// brand at RCPT time, and the admin calls take a whole campaign.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;
using scoring::EvidenceKind;
using testing::fingerprint;

constexpr const char* alice = "alice@corp.example";
constexpr const char* bob = "bob@corp.example";
constexpr const char* carol = "carol@corp.example";

// Five mailboxes over five lookalike domains, one persona: as the tools rotate.
const std::vector<std::string> acme_mailboxes = {"sam@acme-mail.example", "sam@getacme.example", "s.porter@acmehq.example",
                                                 "sam@tryacme.example", "sam.porter@meetacme.example"};

scoring::CampaignEvidence acme_evidence() {
  scoring::CampaignEvidence evidence;
  evidence.sender.brand = "acme";
  evidence.items = {{EvidenceKind::brand, "acme"}, {EvidenceKind::display_name, "sam porter"}};
  return evidence;
}

using testing::LmdbBackend;
using testing::RedisBackend;
using testing::BackendName;

template <typename Backend>
class Campaigns : public ::testing::Test {
 protected:
  Campaigns() {
    settings_.backend = Backend::kind;
    settings_.state_dir = dir_.path();
    if constexpr (Backend::kind == BackendKind::redis) {
      redis_ = std::make_unique<testing::RedisServer>();
      settings_.redis.port = redis_->port();
    }
    store_ = open_store(settings_, clock_);
  }

  History send(const std::string& sender, std::vector<std::string> recipients, std::uint32_t step,
               scoring::CampaignEvidence evidence = acme_evidence(), scoring::Fingerprint quoted = {}) {
    clock_->advance(gap_);
    Observation observation;
    observation.sender = sender;
    observation.recipients = std::move(recipients);
    observation.message_id = std::to_string(++messages_) + "@" + sender;
    observation.fingerprint = fingerprint(100 + step, messages_, 4);
    observation.quoted_fingerprint = quoted;
    observation.campaign = std::move(evidence);
    return store_->observe(observation);
  }

  void reply(const std::string& user, const std::string& external, const std::string& brand = "",
             std::chrono::seconds after = 1h) {
    clock_->advance(after);
    Observation observation;
    observation.direction = Direction::outbound;
    observation.sender = user;
    observation.recipients = {external};
    observation.recipient_brands = {brand};
    observation.recipient_organisations = {brand};
    observation.message_id = std::to_string(++messages_) + "@corp.example";
    store_->observe(observation);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  StoreSettings settings_;
  std::unique_ptr<Store> store_;
  std::uint32_t messages_ = 0;
  std::chrono::seconds gap_ = 3 * 24h;  // between two messages of send()
};

using Backends = ::testing::Types<LmdbBackend, RedisBackend>;
TYPED_TEST_SUITE(Campaigns, Backends, BackendName);

TYPED_TEST(Campaigns, RotatedSequenceBuildsOneStreak) {
  History first = this->send(acme_mailboxes[0], {alice}, 1);
  ASSERT_EQ(first.outcome, Outcome::counted);
  EXPECT_EQ(first.campaign.linked_by, "new");
  History last;
  for (std::uint32_t step = 2; step <= 5; ++step) last = this->send(acme_mailboxes[step - 1], {alice}, step);
  ASSERT_TRUE(last.campaign.known);
  EXPECT_EQ(last.campaign.id, first.campaign.id);
  EXPECT_TRUE(last.campaign.joined);
  EXPECT_EQ(last.campaign.linked_by, "brand, display name");
  EXPECT_EQ(last.campaign.mailboxes, 5u);
  EXPECT_EQ(last.campaign.domains, 5u);
  ASSERT_EQ(last.pairs.size(), 1u);
  const auto& pair = last.pairs[0];
  EXPECT_EQ(pair.streak, 1u) << "each address wrote once";
  EXPECT_EQ(pair.campaign_streak, 5u);
  EXPECT_EQ(pair.campaign_total, 5u);
  EXPECT_EQ(pair.campaign_senders, 5u);
  EXPECT_EQ(pair.campaign_steps, 5u);
  EXPECT_TRUE(pair.campaign_follows_template);
  EXPECT_FALSE(pair.campaign_dialogue);
  EXPECT_EQ(last.campaign.counts.messages.back(), 5u);
  EXPECT_EQ(last.campaign.counts.recipients.back(), 1u);
}

TYPED_TEST(Campaigns, ReplyToOneMailboxEndsThatRecipientsStreakOnly) {
  for (std::uint32_t step = 1; step <= 3; ++step) this->send(acme_mailboxes[step - 1], {alice, bob}, step);
  this->reply(alice, acme_mailboxes[1]);
  History next = this->send(acme_mailboxes[3], {alice, bob}, 4);
  ASSERT_EQ(next.pairs.size(), 2u);
  EXPECT_EQ(next.pairs[0].campaign_streak, 1u) << "alice answered one mailbox";
  EXPECT_TRUE(next.pairs[0].campaign_dialogue);
  EXPECT_EQ(next.pairs[1].campaign_streak, 4u) << "bob did not";
  EXPECT_FALSE(next.pairs[1].campaign_dialogue);
}

TYPED_TEST(Campaigns, ReplyToTheOrganisationEndsTheStreak) {
  for (std::uint32_t step = 1; step <= 3; ++step) this->send(acme_mailboxes[0], {alice}, step);
  this->reply(alice, "sales@acme.example", "acme");
  PairSnapshot snap = this->store_->peek(acme_mailboxes[0], alice, "acme");
  EXPECT_TRUE(snap.campaign_dialogue) << "peek after the reply";
  History next = this->send(acme_mailboxes[0], {alice}, 4);
  EXPECT_TRUE(next.pairs[0].campaign_dialogue);
  EXPECT_EQ(next.pairs[0].campaign_streak, 1u);
}

TYPED_TEST(Campaigns, ReplyToOneColleagueIsADialogueWithTheirOrganisation) {
  auto colleague = [](const std::string& name) {
    scoring::CampaignEvidence evidence;
    evidence.sender.brand = "partner";
    evidence.sender.name = "partner";
    evidence.items = {{EvidenceKind::brand, "partner"}, {EvidenceKind::display_name, name}};
    return evidence;
  };
  History kate = this->send("kate@partner.example", {alice, bob}, 1, colleague("kate moss"));
  History joe = this->send("joe@partner.example", {alice, bob}, 2, colleague("joe bloggs"));
  EXPECT_NE(joe.campaign.id, kate.campaign.id) << "colleagues share only their organisation: two campaigns";
  this->reply(alice, "kate@partner.example", "partner");
  History again = this->send("joe@partner.example", {alice, bob}, 3, colleague("joe bloggs"));
  EXPECT_TRUE(again.pairs[0].campaign_dialogue) << "alice writes with the partner";
  EXPECT_FALSE(again.pairs[1].campaign_dialogue) << "bob does not";
  EXPECT_TRUE(this->store_->peek("joe@partner.example", alice, "partner", "partner").campaign_dialogue);
  EXPECT_FALSE(this->store_->peek("joe@partner.example", bob, "partner", "partner").campaign_dialogue);
}

TYPED_TEST(Campaigns, UnrelatedSendersSharingOnePieceStayApart) {
  // Same display name (a common name) on two webmail addresses, and a third
  // vendor with another brand: one family each, no link.
  scoring::CampaignEvidence john_a;
  john_a.items = {{EvidenceKind::display_name, "john smith"}};
  scoring::CampaignEvidence john_b = john_a;
  scoring::CampaignEvidence beta;
  beta.sender.brand = "beta";
  beta.items = {{EvidenceKind::brand, "beta"}, {EvidenceKind::booking, "calendly.com/beta-sales"}};
  scoring::CampaignEvidence gamma;
  gamma.sender.brand = "gamma";
  gamma.items = {{EvidenceKind::brand, "gamma"}, {EvidenceKind::booking, "calendly.com/gamma-team"}};
  History a = this->send("john.smith@gmail.example", {alice}, 1, john_a);
  History b = this->send("jsmith@gmail.example", {alice}, 2, john_b);
  History c = this->send("kim@beta.example", {alice}, 3, beta);
  History d = this->send("lee@gamma.example", {alice}, 4, gamma);
  EXPECT_NE(a.campaign.id, b.campaign.id);
  EXPECT_NE(c.campaign.id, d.campaign.id);
  EXPECT_EQ(b.pairs[0].campaign_streak, 1u);
  EXPECT_EQ(d.pairs[0].campaign_streak, 1u);
  EXPECT_EQ(d.campaign.mailboxes, 1u);
}

TYPED_TEST(Campaigns, LookalikeBrandOneEditAwayLinksWithAPersona) {
  auto persona = [](const std::string& brand) {
    scoring::CampaignEvidence evidence;
    evidence.sender.brand = brand;
    evidence.items = {{EvidenceKind::brand, brand}, {EvidenceKind::display_name, "kim lee"}};
    return evidence;
  };
  History first = this->send("kim@northwind.example", {alice}, 1, persona("northwind"));
  History typo = this->send("kim@northwnd.example", {alice}, 2, persona("northwnd"));
  EXPECT_EQ(typo.campaign.id, first.campaign.id);
  EXPECT_EQ(typo.campaign.linked_by, "display name, lookalike brand");
  History swapped = this->send("kim@nortwhind.example", {alice}, 3, persona("nortwhind"));
  EXPECT_EQ(swapped.campaign.id, first.campaign.id);
  EXPECT_EQ(swapped.pairs[0].campaign_streak, 3u);
  // Two letters apart is another organisation, and so are short brands one apart.
  History other = this->send("kim@southwind.example", {alice}, 4, persona("southwind"));
  EXPECT_NE(other.campaign.id, first.campaign.id);
  History acme = this->send("kim@acme.example", {bob}, 1, persona("acme"));
  History acne = this->send("kim@acne.example", {bob}, 2, persona("acne"));
  EXPECT_NE(acne.campaign.id, acme.campaign.id);
}

TYPED_TEST(Campaigns, ABrandTwoFirmsShareStillLinksEachByItsOwnPersona) {
  auto firm = [](const std::string& name) {
    scoring::CampaignEvidence evidence;
    evidence.sender.brand = "silver";
    evidence.items = {{EvidenceKind::brand, "silver"}, {EvidenceKind::display_name, name}};
    return evidence;
  };
  History ann = this->send("ann@silver-one.example", {alice}, 1, firm("ann lee"));
  History other = this->send("bob@silver-two.example", {alice}, 2, firm("bob ray"));
  EXPECT_NE(other.campaign.id, ann.campaign.id);
  History ann2 = this->send("ann@getsilver.example", {alice}, 3, firm("ann lee"));
  EXPECT_EQ(ann2.campaign.id, ann.campaign.id) << "the brand names both firms, the persona only one";
}

TYPED_TEST(Campaigns, AHostManyCampaignsShareIsNoEvidence) {
  auto vendor = [](const std::string& brand) {
    scoring::CampaignEvidence evidence;
    evidence.sender.brand = brand;
    evidence.items = {{EvidenceKind::brand, brand}, {EvidenceKind::host, "tracker.example"}};
    return evidence;
  };
  History first = this->send("a@alpha.example", {alice}, 1, vendor("alpha"));
  this->send("b@beta.example", {alice}, 2, vendor("beta"));
  this->send("c@gamma.example", {alice}, 3, vendor("gamma"));
  History again = this->send("a@getalpha.example", {alice}, 4, vendor("alpha"));
  EXPECT_NE(again.campaign.id, first.campaign.id) << "brand and a host three campaigns use: one piece";
}

TYPED_TEST(Campaigns, TemplateLineageLinksAlone) {
  History first = this->send("rep@vendor-one.example", {alice}, 1, {});
  // A new address with no other evidence quotes step 1 to the same recipient.
  History step2 = this->send("other@unrelated.example", {alice}, 2, {}, fingerprint(101, 1, 4));
  EXPECT_EQ(step2.campaign.id, first.campaign.id);
  EXPECT_EQ(step2.campaign.linked_by, "template lineage");
  EXPECT_EQ(step2.pairs[0].campaign_streak, 2u);
  // The same quote to someone who never got step 1 is no lineage.
  History elsewhere = this->send("third@elsewhere.example", {carol}, 2, {}, fingerprint(101, 2, 4));
  EXPECT_NE(elsewhere.campaign.id, first.campaign.id);
}

TYPED_TEST(Campaigns, TheSameTemplateAloneIsOneFamily) {
  // A platform's notice that many unrelated senders send to one recipient.
  auto notice = [&](const std::string& sender, scoring::CampaignEvidence evidence, std::uint32_t text = 500) {
    this->clock_->advance(24h);
    Observation observation;
    observation.sender = sender;
    observation.recipients = {alice};
    observation.message_id = sender + "@notice";
    observation.fingerprint = fingerprint(text, 0, 0);
    observation.campaign = std::move(evidence);
    return this->store_->observe(observation);
  };
  History shop = notice("orders@shop-one.example", {});
  History other = notice("orders@shop-two.example", {});
  EXPECT_NE(other.campaign.id, shop.campaign.id) << "the same template and nothing else";
  scoring::CampaignEvidence persona;
  persona.items = {{EvidenceKind::display_name, "kim lee"}};
  History kim = notice("kim@one.example", persona, 501);
  History kim_again = notice("kim.lee@two.example", persona, 501);
  EXPECT_EQ(kim_again.campaign.id, kim.campaign.id);
  EXPECT_EQ(kim_again.campaign.linked_by, "display name, same template");
}

TYPED_TEST(Campaigns, NewMailboxIsKnownByItsBrandAtRcpt) {
  for (std::uint32_t step = 1; step <= 4; ++step) this->send(acme_mailboxes[step - 1], {alice}, step);
  PairSnapshot fresh = this->store_->peek("hello@useacme.example", alice, "acme");
  ASSERT_TRUE(fresh.available);
  EXPECT_FALSE(fresh.known);
  EXPECT_TRUE(fresh.campaign_known);
  EXPECT_EQ(fresh.campaign_streak, 4u);
  PairSnapshot stranger = this->store_->peek("hello@other.example", alice, "other");
  EXPECT_FALSE(stranger.campaign_known);
  EXPECT_EQ(stranger.campaign_streak, 0u);
  PairSnapshot bob_view = this->store_->peek(acme_mailboxes[0], bob, "acme");
  EXPECT_EQ(bob_view.campaign_streak, 0u);
}

TYPED_TEST(Campaigns, AdminCallsTakeTheWholeCampaign) {
  for (std::uint32_t step = 1; step <= 3; ++step) this->send(acme_mailboxes[step - 1], {alice}, step);
  SenderReport report = this->store_->inspect(acme_mailboxes[2]);
  ASSERT_TRUE(report.campaign.known);
  EXPECT_EQ(report.campaign.brand, "acme");
  EXPECT_EQ(report.campaign.mailbox_count, 3u);
  EXPECT_EQ(report.campaign.mailboxes.size(), 3u);
  EXPECT_EQ(report.campaign.longest_streak, 3u);
  TopReport top = this->store_->top(5);
  ASSERT_FALSE(top.campaigns_by_streak.empty());
  EXPECT_EQ(top.campaigns_by_streak.front().value, 3u);
  EXPECT_EQ(top.campaigns_by_streak.front().name.rfind("acme (", 0), 0u) << top.campaigns_by_streak.front().name;

  EXPECT_TRUE(this->store_->allow("campaign:acme"));
  EXPECT_TRUE(this->store_->peek("new@acme-team.example", alice, "acme").allowlisted);
  History allowed = this->send(acme_mailboxes[3], {alice}, 4);
  EXPECT_TRUE(allowed.allowlisted);
  EXPECT_FALSE(this->store_->allow("campaign:nobody@nowhere.example"));

  EXPECT_EQ(this->store_->forget_campaign(acme_mailboxes[0]), 4);
  EXPECT_FALSE(this->store_->inspect(acme_mailboxes[2]).known);
  EXPECT_FALSE(this->store_->peek(acme_mailboxes[1], alice, "acme").campaign_known);
  EXPECT_EQ(this->store_->forget_campaign("acme"), 0);
}

// The console's campaign list: each campaign with its figures and what
// linked its later mailboxes; the campaign's page lists each join.
TYPED_TEST(Campaigns, EachCampaignIsListedWithTheEvidenceThatLinkedIt) {
  for (std::uint32_t step = 1; step <= 3; ++step) this->send(acme_mailboxes[step - 1], {alice, bob}, step);
  // Quotes step 1 to alice with no other evidence: lineage alone.
  this->send("rep@elsewhere.example", {alice}, 4, {}, fingerprint(101, 1, 4));
  scoring::CampaignEvidence cloudcut;
  cloudcut.sender.brand = "cloudcut";
  cloudcut.items = {{EvidenceKind::brand, "cloudcut"}, {EvidenceKind::display_name, "max roe"}};
  this->send("max@cloudcut.example", {carol}, 10, cloudcut);

  TopReport top = this->store_->top(10);
  ASSERT_TRUE(top.available);
  ASSERT_EQ(top.campaigns.size(), 2u);
  const CampaignSummary& acme = top.campaigns[0];
  EXPECT_EQ(acme.brand, "acme");
  EXPECT_EQ(acme.reach, 2u);
  EXPECT_EQ(acme.mailboxes, 4u);
  EXPECT_EQ(acme.domains, 4u);
  EXPECT_EQ(acme.longest_streak, 4u) << "alice got all four steps unanswered";
  ASSERT_EQ(acme.counts.recipients.size(), this->settings_.windows.size());
  EXPECT_EQ(acme.counts.recipients.back(), 2u);
  EXPECT_EQ(acme.counts.messages.back(), 4u);
  std::vector<std::string> known = acme_mailboxes;
  known.push_back("rep@elsewhere.example");
  EXPECT_NE(std::find(known.begin(), known.end(), acme.mailbox), known.end()) << acme.mailbox;
  ASSERT_EQ(acme.links.size(), 2u);
  EXPECT_EQ(acme.links[0].linked_by, "brand, display name");
  EXPECT_EQ(acme.links[0].joins, 2u);
  EXPECT_EQ(acme.links[1].linked_by, "template lineage");
  EXPECT_EQ(acme.links[1].joins, 1u);
  const CampaignSummary& other = top.campaigns[1];
  EXPECT_EQ(other.brand, "cloudcut");
  EXPECT_EQ(other.mailbox, "max@cloudcut.example");
  EXPECT_EQ(other.reach, 1u);
  EXPECT_TRUE(other.links.empty()) << "one mailbox: nothing linked";

  CampaignReport report = this->store_->inspect(acme_mailboxes[0], "-").campaign;
  ASSERT_TRUE(report.known);
  EXPECT_EQ(report.links.size(), 2u);
  ASSERT_EQ(report.joins.size(), 3u);
  EXPECT_EQ(report.joins[0].mailbox, acme_mailboxes[1]);
  EXPECT_EQ(report.joins[0].linked_by, "brand, display name");
  EXPECT_EQ(report.joins[2].mailbox, "rep@elsewhere.example");
  EXPECT_EQ(report.joins[2].linked_by, "template lineage");
  EXPECT_LT(report.joins[0].joined, report.joins[2].joined);
  EXPECT_EQ(report.joins[2].joined, this->clock_->now() - this->gap_);

  // The record lives as long as the campaign, however old the joins are.
  for (int month = 0; month < 6; ++month) {
    this->send(acme_mailboxes[0], {alice}, 5);
    this->clock_->advance(24h * 30 - this->gap_);
    for (int step = 0; step < 10; ++step) this->store_->maintain();
  }
  EXPECT_EQ(this->store_->inspect(acme_mailboxes[0], "-").campaign.joins.size(), 3u);

  // Forgetting the campaign forgets how it was linked: started again from
  // the same first mailbox (the same id), it shows only the new join.
  ASSERT_GT(this->store_->forget_campaign(acme_mailboxes[0]), 0);
  this->send(acme_mailboxes[0], {alice}, 1);
  this->send(acme_mailboxes[1], {alice}, 2);
  CampaignReport again = this->store_->inspect(acme_mailboxes[1], "-").campaign;
  ASSERT_EQ(again.joins.size(), 1u);
  ASSERT_EQ(again.links.size(), 1u);
  EXPECT_EQ(again.links[0].joins, 1u);
}

// Many joins: the counts cover them all, the list keeps the latest.
TYPED_TEST(Campaigns, LinkCountsCoverEveryJoinAndTheListKeepsTheLatest) {
  this->gap_ = 1h;
  this->send("rep0@acme-mail.example", {alice}, 1);
  for (int i = 1; i <= 20; ++i) this->send("rep" + std::to_string(i) + "@acme-mail.example", {alice}, 1);
  CampaignReport report = this->store_->inspect("rep0@acme-mail.example", "-").campaign;
  ASSERT_EQ(report.links.size(), 1u);
  EXPECT_EQ(report.links[0].joins, 20u);
  ASSERT_EQ(report.joins.size(), 16u);
  EXPECT_EQ(report.joins.front().mailbox, "rep5@acme-mail.example");
  EXPECT_EQ(report.joins.back().mailbox, "rep20@acme-mail.example");
}

// The RCPT check skips the store when streak_ceiling() says no streak of
// the sender or its campaign can reach the refusal: the bound must cover
// every recipient's streak that peek() would report, through a rotation, a
// reply and a message to many. Redis keeps bounds for a minute; LMDB asks.
TYPED_TEST(Campaigns, StreakBoundCoversEveryPeek) {
  this->gap_ = 5s;
  const std::vector<std::string> users = {alice, bob, carol, "dave@corp.example"};
  std::vector<std::string> seen;
  std::uint32_t highest = 0;
  auto check = [&](const std::string& when) {
    for (const auto& mailbox : seen) {
      std::optional<std::uint32_t> bound = this->store_->streak_ceiling(mailbox);
      if (TypeParam::kind == BackendKind::lmdb) {
        EXPECT_FALSE(bound.has_value()) << "LMDB answers peek() locally";
        continue;
      }
      ASSERT_TRUE(bound.has_value()) << mailbox << " " << when;
      for (const auto& user : users) {
        PairSnapshot snap = this->store_->peek(mailbox, user, "acme");
        ASSERT_TRUE(snap.available);
        EXPECT_LE(std::max(snap.streak, snap.campaign_streak), *bound) << mailbox << " to " << user << " " << when;
        highest = std::max({highest, snap.streak, snap.campaign_streak});
      }
    }
  };
  for (std::uint32_t step = 1; step <= 5; ++step) {
    const std::string& mailbox = acme_mailboxes[(step - 1) % 3];  // three mailboxes in turn
    if (std::find(seen.begin(), seen.end(), mailbox) == seen.end()) seen.push_back(mailbox);
    this->send(mailbox, step == 3 ? users : std::vector<std::string>{alice, bob}, step);
    check("after step " + std::to_string(step));
    if (step == 2) {  // bob answers the first mailbox, within the bounds' minute
      this->reply(bob, acme_mailboxes[0], "acme", 5s);
      check("after bob's reply");
    }
  }
  if (TypeParam::kind == BackendKind::redis) {
    EXPECT_EQ(highest, 5u) << "alice never answered five steps";
    // The first mailbox wrote only steps 1 and 4; its bound has the campaign's 5.
    EXPECT_EQ(this->store_->streak_ceiling(acme_mailboxes[0]), 5u);
    EXPECT_FALSE(this->store_->streak_ceiling("stranger@other.example").has_value());
    this->clock_->advance(61s);
    EXPECT_FALSE(this->store_->streak_ceiling(acme_mailboxes[0]).has_value()) << "a minute without news";
  }
}

}  // namespace
}  // namespace pushback::state
