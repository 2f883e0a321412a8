// Feedback in the decision: releases lower a template's score for everyone,
// a delete tags the next first message of the template at once, and a
// conversation still wins.
#include <gtest/gtest.h>

#include <limits>

#include "config/load.hpp"
#include "scoring/decide.hpp"

namespace pushback::scoring {
namespace {

const config::Config& defaults() {
  static const config::Config config = *config::default_config();
  return config;
}

Message first_message() {
  Message message;
  message.envelope.mail_from = "sam@growthly.example";
  message.envelope.recipients = {"bob@corp.example"};
  message.envelope.client_addr = "198.51.100.7";
  return message;
}

// A first message: no streak, no tooling, nothing that scores by itself.
HistoryFacts first_contact() {
  HistoryFacts facts;
  facts.available = true;
  facts.short_window = "1d";
  facts.long_window = "40d";
  facts.streak = 1;
  return facts;
}

const Symbol* find(const Verdict& verdict, const std::string& name) {
  for (const auto& symbol : verdict.symbols) {
    if (symbol.name == name) return &symbol;
  }
  return nullptr;
}

TEST(DecideFeedback, WithoutFeedbackAFirstMessagePasses) {
  auto verdict = decide(first_message(), Analysis{}, first_contact(), defaults());
  EXPECT_EQ(verdict.computed, Action::pass);
  EXPECT_FALSE(find(verdict, "KNOWN_OUTREACH"));
  EXPECT_FALSE(find(verdict, "FEEDBACK_HAM"));
}

TEST(DecideFeedback, ATemplateMarkedOutreachTagsAFirstMessageAtOnce) {
  auto facts = first_contact();
  facts.template_outreach = 1;
  auto verdict = decide(first_message(), Analysis{}, facts, defaults());
  const Symbol* symbol = find(verdict, "KNOWN_OUTREACH");
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->score, defaults().weights.known_outreach);
  EXPECT_EQ(symbol->reason, "this template was marked outreach 1 time(s)");
  EXPECT_EQ(verdict.computed, Action::tag);
}

TEST(DecideFeedback, ASenderMarkedOutreachCountsToo) {
  auto facts = first_contact();
  facts.sender_outreach = 2;
  auto verdict = decide(first_message(), Analysis{}, facts, defaults());
  ASSERT_TRUE(find(verdict, "KNOWN_OUTREACH"));
  EXPECT_EQ(find(verdict, "KNOWN_OUTREACH")->reason, "this sender was marked outreach 2 time(s)");
}

TEST(DecideFeedback, AConversationIsNeverKnownOutreach) {
  auto facts = first_contact();
  facts.template_outreach = 3;
  facts.dialogue = true;
  auto verdict = decide(first_message(), Analysis{}, facts, defaults());
  EXPECT_FALSE(find(verdict, "KNOWN_OUTREACH"));
  EXPECT_EQ(verdict.computed, Action::pass);
}

TEST(DecideFeedback, ReleasesLowerTheScoreWithTheirCountCapped) {
  auto facts = first_contact();
  facts.streak = 4;
  facts.template_recipients_long = 40;
  facts.sequence_step = true;
  facts.steps = 4;
  Analysis analysis;
  analysis.text.from_person = true;
  double before = decide(first_message(), analysis, facts, defaults()).score;
  facts.template_ham = 1;
  auto once = decide(first_message(), analysis, facts, defaults());
  ASSERT_TRUE(find(once, "FEEDBACK_HAM"));
  EXPECT_EQ(find(once, "FEEDBACK_HAM")->reason, "released 1 time(s) as not outreach");
  EXPECT_DOUBLE_EQ(once.score, before + defaults().weights.feedback_ham);
  facts.template_ham = 10;
  auto many = decide(first_message(), analysis, facts, defaults());
  EXPECT_DOUBLE_EQ(many.score, before + 3 * defaults().weights.feedback_ham);
  EXPECT_EQ(find(many, "FEEDBACK_HAM")->reason, "released 10 time(s) as not outreach");
}

TEST(DecideFeedback, NoStoreNoFeedback) {
  HistoryFacts facts;  // the store was unavailable
  facts.template_outreach = 5;
  EXPECT_FALSE(find(decide(first_message(), Analysis{}, facts, defaults()), "KNOWN_OUTREACH"));
}

}  // namespace
}  // namespace pushback::scoring
