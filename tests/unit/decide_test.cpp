// The decision as a table: each history symbol, the thresholds, forced
// results, list mail, monitor mode and non-finite weights.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "config/load.hpp"
#include "scoring/decide.hpp"

namespace pushback::scoring {
namespace {

config::Config config_from(const std::string& text) {
  auto result = config::load_config_text(text, "decide.toml");
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors.front().to_string());
  return *result.config;
}

Message message_from(const std::string& sender, const std::vector<std::string>& recipients,
                     std::vector<Header> headers = {}) {
  Message message;
  message.envelope.mail_from = sender;
  message.envelope.recipients = recipients;
  message.envelope.client_addr = "198.51.100.7";
  message.headers = std::move(headers);
  return message;
}

// Signed by a person, as sales tools send: a shared template then counts as outreach.
Analysis analysis_with(std::vector<Symbol> symbols, double phrase_weight = 0) {
  Analysis analysis;
  analysis.text.from_person = true;
  analysis.symbols = std::move(symbols);
  if (phrase_weight > 0) analysis.phrases.push_back({"en.test", phrase_weight, "en"});
  return analysis;
}

HistoryFacts sequence(std::uint32_t streak) {
  HistoryFacts facts;
  facts.available = true;
  facts.short_window = "1d";
  facts.long_window = "40d";
  facts.streak = streak;
  facts.streak_days = 21;
  facts.template_recipients_long = 40;
  facts.template_senders_long = 1;
  facts.sequence_step = streak > 1;
  facts.steps = streak;
  return facts;
}

double score_of(const Verdict& verdict, const std::string& name) {
  for (const auto& symbol : verdict.symbols) {
    if (symbol.name == name) return symbol.score;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

TEST(Decide, EachHistorySymbolFires) {
  auto config = config_from("");
  auto message = message_from("dana@vendor.example", {"alice@corp.example"});
  HistoryFacts facts = sequence(7);
  facts.pair_messages_short = 4;
  facts.sender_recipients_short = 25;
  auto verdict = decide(message, analysis_with({}), facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 2.0 * 6);
  EXPECT_DOUBLE_EQ(score_of(verdict, "PAIR_RATE"), 1.0 * 2);
  EXPECT_DOUBLE_EQ(score_of(verdict, "SENDER_RATE"), 2.0);
  EXPECT_DOUBLE_EQ(score_of(verdict, "TEMPLATE_BULK"), 3.0);
  EXPECT_DOUBLE_EQ(score_of(verdict, "SEQUENCE_STEP"), 3.0);
  EXPECT_TRUE(std::isnan(score_of(verdict, "FAKE_REPLY")));
  for (const auto& symbol : verdict.symbols) {
    if (symbol.name == "UNANSWERED_STREAK") {
      EXPECT_EQ(symbol.reason, "7 messages, 0 replies, 21 days");
    }
  }
  EXPECT_DOUBLE_EQ(verdict.score, 12 + 2 + 2 + 3 + 3);
  EXPECT_EQ(verdict.computed, Action::reject);
  EXPECT_EQ(verdict.reply_text, "this recipient has not replied to your last 7 messages");
}

// A rotated sequence: each address wrote once, the campaign five times.
HistoryFacts rotated() {
  HistoryFacts facts = sequence(1);
  facts.campaign = "acme (0000002a)";
  facts.campaign_mailboxes = 5;
  facts.campaign_domains = 5;
  facts.campaign_streak = 5;
  facts.campaign_streak_days = 20;
  facts.campaign_streak_senders = 5;
  facts.campaign_sequence_step = true;
  facts.campaign_steps = 5;
  return facts;
}

std::string reason_of(const Verdict& verdict, const std::string& name) {
  for (const auto& symbol : verdict.symbols) {
    if (symbol.name == name) return symbol.reason;
  }
  return {};
}

TEST(Decide, CampaignCountsWinWhenHigher) {
  auto config = config_from("");
  auto verdict = decide(message_from("sam@tryacme.example", {"alice@corp.example"}), analysis_with({}), rotated(), config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 2.0 * 4);
  EXPECT_EQ(reason_of(verdict, "UNANSWERED_STREAK"), "5 messages from 5 addresses of one campaign, 0 replies, 20 days");
  EXPECT_DOUBLE_EQ(score_of(verdict, "ROTATION"), 2.0 * 2) << "five domains: twice the weight";
  EXPECT_EQ(reason_of(verdict, "ROTATION"), "campaign acme (0000002a) writes from 5 mailboxes / 5 domains");
  HistoryFacts three = rotated();
  three.campaign_domains = 3;
  EXPECT_DOUBLE_EQ(score_of(decide(message_from("sam@tryacme.example", {"alice@corp.example"}), analysis_with({}),
                                   three, config),
                            "ROTATION"),
                   2.0 * 1.5);
  EXPECT_EQ(reason_of(verdict, "SEQUENCE_STEP"), "step 5 to this recipient from campaign acme (0000002a)");
  EXPECT_EQ(verdict.streak, 5u);
}

TEST(Decide, AddressCountsStayWhenHigherAndOneMailboxIsNoRotation) {
  auto config = config_from("");
  HistoryFacts facts = sequence(6);
  facts.campaign = "acme (0000002a)";
  facts.campaign_mailboxes = 2;
  facts.campaign_domains = 1;
  facts.campaign_streak = 4;
  auto verdict = decide(message_from("sam@acme.example", {"alice@corp.example"}), analysis_with({}), facts, config);
  EXPECT_EQ(reason_of(verdict, "UNANSWERED_STREAK"), "6 messages, 0 replies, 21 days");
  EXPECT_TRUE(std::isnan(score_of(verdict, "ROTATION")));
}

TEST(Decide, ReplyToAnotherMailboxOfTheCampaignIsADialogue) {
  auto config = config_from("");
  HistoryFacts facts = rotated();
  facts.campaign_dialogue = true;
  auto verdict = decide(message_from("sam@tryacme.example", {"alice@corp.example"}), analysis_with({}), facts, config);
  EXPECT_EQ(verdict.computed, Action::pass);
  EXPECT_EQ(reason_of(verdict, "DIALOGUE"), "the recipient wrote to another mailbox of campaign acme (0000002a)");
  EXPECT_TRUE(std::isnan(score_of(verdict, "UNANSWERED_STREAK")));
  EXPECT_TRUE(std::isnan(score_of(verdict, "ROTATION")));
}

TEST(Decide, StreakIsCappedAndSortedStrongestFirst) {
  auto config = config_from("[symbol_limits]\nunanswered_streak_cap = 5\n");
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis_with({}), sequence(50), config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 2.0 * 4);
  EXPECT_EQ(verdict.symbols.front().name, "UNANSWERED_STREAK");
}

TEST(Decide, FakeReplyReplacesReplyWithoutThread) {
  auto config = config_from("");
  Analysis analysis = analysis_with({{"REPLY_WITHOUT_THREAD", 1.5, "Re:"}});
  analysis.reply.subject.replies = 1;
  HistoryFacts facts;
  facts.available = true;
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis, facts, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "REPLY_WITHOUT_THREAD")));
  EXPECT_DOUBLE_EQ(score_of(verdict, "FAKE_REPLY"), 2.5);
  facts.cites_ids = true;
  facts.answers_our_message = true;
  verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis, facts, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "FAKE_REPLY")));
  // Without the store, the analysis-only symbol stays.
  verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis, HistoryFacts{}, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "REPLY_WITHOUT_THREAD"), 1.5);
}

TEST(Decide, DialogueWinsOverEverything) {
  auto config = config_from("");
  HistoryFacts facts = sequence(9);
  facts.dialogue = true;
  facts.days_since_reply = 3;
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis_with({}, 1.0), facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "DIALOGUE"), -20.0);
  EXPECT_TRUE(std::isnan(score_of(verdict, "UNANSWERED_STREAK")));
  EXPECT_EQ(verdict.computed, Action::pass);
}

TEST(Decide, MonologueNeedsOutreachEvidence) {
  auto config = config_from("");
  HistoryFacts facts = sequence(6);
  facts.template_recipients_long = 1;  // a personal text, written to one person
  auto verdict = decide(message_from("colleague@partner.example", {"a@corp.example"}), analysis_with({}), facts, config);
  EXPECT_TRUE(verdict.symbols.empty());
  EXPECT_EQ(verdict.computed, Action::pass);
  // A strong follow-up phrase is such evidence.
  verdict = decide(message_from("colleague@partner.example", {"a@corp.example"}),
                   analysis_with({{"FOLLOWUP_PHRASE", 4.0, "en.test"}}, 1.0), facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 10.0);
}

TEST(Decide, SharedTemplateCountsOnlyFromOrToAPerson) {
  auto config = config_from("");
  HistoryFacts facts = sequence(6);  // one text to 40 of our users
  Analysis announcement = analysis_with({});
  announcement.text.from_person = false;  // "noreply@" or a bare address, no name filled in
  auto verdict = decide(message_from("news@vendor.example", {"a@corp.example"}), announcement, facts, config);
  EXPECT_TRUE(verdict.symbols.empty());
  EXPECT_EQ(verdict.computed, Action::pass);

  Analysis mail_merge = announcement;
  mail_merge.text.names_recipient = true;  // "Hi Alice," from a bare address
  verdict = decide(message_from("news@vendor.example", {"a@corp.example"}), mail_merge, facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 10.0);

  verdict = decide(message_from("dana@vendor.example", {"a@corp.example"}), analysis_with({}), facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "TEMPLATE_BULK"), 3.0);
}

// First contact: no streak yet. The text model tags a clear pitch alone and
// never holds it; other evidence that already tags takes its place.
TEST(Decide, ColdPitchLiftsToTheTagLineAndNoFurther) {
  auto config = config_from("");
  HistoryFacts first = sequence(1);
  first.template_recipients_long = 1;
  auto pitch = [](double p) {
    return analysis_with({{"COLD_PITCH", 5.5 * p, fmt::format("p={:.2f}", p)}});
  };
  auto verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), pitch(0.97), first, config);
  EXPECT_EQ(verdict.computed, Action::tag);
  EXPECT_DOUBLE_EQ(score_of(verdict, "COLD_PITCH"), 5.5 * 0.97);
  // A weaker reading needs other evidence.
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), pitch(0.6), first, config);
  EXPECT_EQ(verdict.computed, Action::pass);
  // Step 5 of a sequence: the streak counts; the model adds nothing and says why.
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), pitch(1.0), sequence(5), config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "COLD_PITCH"), 0.0);
  EXPECT_NE(std::find_if(verdict.symbols.begin(), verdict.symbols.end(),
                         [](const Symbol& s) { return s.reason.find("already tags") != std::string::npos; }),
            verdict.symbols.end());
  EXPECT_EQ(verdict.computed, Action::quarantine);
  // However heavy an admin makes it, alone it never reaches the hold line.
  auto heavy = config_from("[weights]\ncold_pitch = 50.0\n");
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}),
                   analysis_with({{"COLD_PITCH", 50.0, "p=1.00"}, {"REPLY_WITHOUT_THREAD", 1.5, "Re:"}}), first, heavy);
  EXPECT_EQ(verdict.computed, Action::tag);
  EXPECT_DOUBLE_EQ(verdict.score, 1.5 + (11.0 - 5.0));
  // A recipient who wrote to the sender: a conversation, whatever the model reads.
  first.dialogue = true;
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), pitch(1.0), first, config);
  EXPECT_EQ(verdict.computed, Action::pass);
}

// Step 2 of a pitch that went to several of our users, with no phrase and no
// model evidence: tagged by its streak and step.
TEST(Decide, UnansweredStepTwoOfAPitchToSeveralUsersIsTagged) {
  auto config = config_from("");
  HistoryFacts facts = sequence(2);
  facts.template_recipients_long = 1;   // the new step's text reached only this recipient so far...
  facts.sender_recipients_long = 12;    // ...but its sender already wrote to twelve
  auto verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), analysis_with({}), facts, config);
  EXPECT_EQ(verdict.computed, Action::tag);
  EXPECT_DOUBLE_EQ(verdict.score, 2.0 + 3.0);
}

TEST(Decide, MailMergeIsOneSendersPersonalisedCopies) {
  auto config = config_from("");
  HistoryFacts facts = sequence(1);
  facts.template_recipients_long = 3;
  facts.template_messages_long = 3;
  facts.sender_recipients_long = 3;
  Analysis merged = analysis_with({});
  merged.text.names_recipient = true;  // "Hi Alice," in a mail to her alone
  auto verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), merged, facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "MAIL_MERGE"), 5.0);
  EXPECT_EQ(verdict.computed, Action::tag);

  HistoryFacts one_message = facts;  // one message to three people is no merge
  one_message.template_messages_long = 1;
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), merged, one_message, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "MAIL_MERGE")));

  HistoryFacts alike = facts;  // three people who happen to write the same words
  alike.sender_recipients_long = 1;
  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), merged, alike, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "MAIL_MERGE")));

  verdict = decide(message_from("sam@vendor.example", {"a@corp.example"}), analysis_with({}), facts, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "MAIL_MERGE"))) << "not written to the recipient by name";
}

TEST(Decide, PixelIsOutreachEvidenceOnlyFromAPerson) {
  auto config = config_from("");
  HistoryFacts facts = sequence(6);
  facts.template_recipients_long = 1;
  Analysis newsletter = analysis_with({{"TRACKING_PIXEL", 2.0, "1x1 image"}});
  newsletter.text.from_person = false;
  auto verdict = decide(message_from("letters@news.example", {"a@corp.example"}), newsletter, facts, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "UNANSWERED_STREAK")));
  EXPECT_EQ(verdict.computed, Action::pass);
  verdict = decide(message_from("dana@vendor.example", {"a@corp.example"}),
                   analysis_with({{"TRACKING_PIXEL", 2.0, "1x1 image"}}), facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "UNANSWERED_STREAK"), 10.0);
}

TEST(Decide, ReplyQuotingOtherPeopleIsNoFakeReply) {
  auto config = config_from("");
  Analysis analysis = analysis_with({{"REPLY_WITHOUT_THREAD", 1.5, "Re:"}});
  analysis.reply.subject.replies = 1;
  analysis.text.quotes_third_party = true;  // "From: Doe, Jane" of a thread among other people
  HistoryFacts facts;
  facts.available = true;
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis, facts, config);
  EXPECT_TRUE(std::isnan(score_of(verdict, "FAKE_REPLY")));
  analysis.text.quotes_third_party = false;
  verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis, facts, config);
  EXPECT_DOUBLE_EQ(score_of(verdict, "FAKE_REPLY"), 2.5);
}

struct ThresholdCase {
  double score;
  Action want;
};

TEST(Decide, ThresholdsAreOrdered) {
  auto config = config_from("[policy]\ntag_threshold = 5\nquarantine_threshold = 11\nreject_threshold = 20\n");
  for (auto [score, want] : {ThresholdCase{4.9, Action::pass}, ThresholdCase{5, Action::tag},
                             ThresholdCase{10.9, Action::tag}, ThresholdCase{11, Action::quarantine},
                             ThresholdCase{20, Action::reject}, ThresholdCase{-3, Action::pass}}) {
    auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis_with({{"X", score, "r"}}),
                          HistoryFacts{}, config);
    EXPECT_EQ(verdict.computed, want) << score;
    EXPECT_EQ(verdict.action, want) << score;
  }
}

TEST(Decide, NonFiniteScoresCountAsZero) {
  auto config = config_from("");
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}),
                        analysis_with({{"A", std::numeric_limits<double>::quiet_NaN(), ""},
                                       {"B", std::numeric_limits<double>::infinity(), ""},
                                       {"C", 6.0, ""}}),
                        HistoryFacts{}, config);
  EXPECT_DOUBLE_EQ(verdict.score, 6.0);
  EXPECT_EQ(verdict.computed, Action::tag);
}

struct ForcedCase {
  const char* config;
  const char* sender;
  const char* client;
  const char* auth;
  const char* want;
  Action action;
};

TEST(Decide, ForcedResultsComeFirst) {
  for (const auto& c : {
           ForcedCase{"[policy]\nallow_senders = [\"dana@vendor.example\"]\n", "Dana@Vendor.example", "", "",
                      "allowlisted sender", Action::pass},
           ForcedCase{"[policy]\nallow_domains = [\"vendor.example\"]\n", "x@mail.vendor.example", "", "",
                      "allowlisted domain", Action::pass},
           ForcedCase{"[policy]\nallow_networks = [\"192.0.2.0/24\"]\n", "x@v.example", "192.0.2.9", "",
                      "allowlisted client network", Action::pass},
           ForcedCase{"[policy]\nallow_auth_users = [\"relay-user\"]\n", "x@v.example", "", "relay-user",
                      "allowlisted authenticated user", Action::pass},
           ForcedCase{"[policy]\nallow_recipients = [\"alice@corp.example\"]\n", "x@v.example", "", "",
                      "recipients opted out", Action::pass},
           ForcedCase{"[policy]\nblock_domains = [\"spammy.example\"]\n", "x@spammy.example", "", "",
                      "blocklisted domain", Action::reject},
       }) {
    auto config = config_from(c.config);
    auto message = message_from(c.sender, {"alice@corp.example"});
    message.envelope.client_addr = c.client;
    message.envelope.auth_user = c.auth;
    auto verdict = decide(message, analysis_with({{"HEAVY", 50, "r"}}), sequence(9), config);
    EXPECT_EQ(verdict.forced, c.want) << c.config;
    EXPECT_EQ(verdict.computed, c.action) << c.config;
  }
  // The runtime allowlist too.
  HistoryFacts facts = sequence(9);
  facts.allowlisted = true;
  auto verdict = decide(message_from("x@v.example", {"a@corp.example"}), analysis_with({}), facts, config_from(""));
  EXPECT_EQ(verdict.forced, "allowlisted at run time");
}

TEST(Decide, ListMailIsTaggedAtMost) {
  auto list = message_from("list@lists.example", {"a@corp.example"},
                           {{"List-Id", "<dev.lists.example>"}, {"List-Unsubscribe", "<mailto:u@lists.example>"}});
  EXPECT_TRUE(is_list_mail(list));
  auto verdict = decide(list, analysis_with({{"HEAVY", 50, "r"}}), sequence(9), config_from(""));
  EXPECT_EQ(verdict.computed, Action::tag);
  EXPECT_TRUE(std::isnan(score_of(verdict, "UNANSWERED_STREAK")));
  verdict = decide(list, analysis_with({{"HEAVY", 50, "r"}}), sequence(9), config_from("[policy]\nquarantine_lists = true\n"));
  EXPECT_EQ(verdict.computed, Action::reject);
  EXPECT_FALSE(is_list_mail(message_from("x@v.example", {"a@corp.example"}, {{"List-Id", "<fake>"}})));
  EXPECT_TRUE(is_list_mail(message_from("x@v.example", {"a@corp.example"}, {{"List-Id", "<l>"}, {"Precedence", "bulk"}})));
}

TEST(Decide, AutomatedMailIsNeverAMonologue) {
  for (auto header : {Header{"Auto-Submitted", "auto-generated"}, Header{"Auto-Submitted", "auto-replied"},
                      Header{"Precedence", "bulk"}, Header{"Precedence", "junk"}}) {
    auto notice = message_from("noreply@system.example", {"a@corp.example"}, {header});
    EXPECT_TRUE(is_automated_mail(notice)) << header.name << ": " << header.value;
    auto verdict = decide(notice, analysis_with({{"HEAVY", 50, "r"}}), sequence(9), config_from(""));
    EXPECT_EQ(verdict.computed, Action::tag) << header.value;
    EXPECT_TRUE(std::isnan(score_of(verdict, "UNANSWERED_STREAK"))) << header.value;
  }
  EXPECT_FALSE(is_automated_mail(message_from("x@v.example", {"a@corp.example"}, {{"Auto-Submitted", "no"}})));
  EXPECT_FALSE(is_automated_mail(message_from("x@v.example", {"a@corp.example"})));
}

TEST(Decide, MonitorModeComputesButNeverActs) {
  auto config = config_from("[policy]\nmode = \"monitor\"\n");
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis_with({}, 1.0), sequence(9), config);
  EXPECT_EQ(verdict.computed, Action::reject);
  EXPECT_EQ(verdict.action, Action::pass);
  EXPECT_TRUE(verdict.monitor);
}

TEST(Decide, RateDrivenRefusalCanTempfail) {
  auto config = config_from("[policy]\nrate_limit_tempfail = true\n[weights]\npair_rate = 10.0\n");
  HistoryFacts facts;
  facts.available = true;
  facts.pair_messages_short = 5;
  facts.short_window = "1d";
  facts.template_recipients_long = 5;
  auto verdict = decide(message_from("d@v.example", {"a@corp.example"}), analysis_with({}), facts, config);
  EXPECT_EQ(verdict.symbols.front().name, "PAIR_RATE");
  EXPECT_EQ(verdict.computed, Action::tempfail);
  EXPECT_EQ(verdict.reply_text, "too many messages to this organisation, try again later");
}

TEST(Decide, OutboundIsNeverJudged) {
  HistoryFacts facts = sequence(9);
  facts.outbound = true;
  auto verdict = decide(message_from("alice@corp.example", {"dana@v.example"}), analysis_with({{"X", 50, ""}}), facts,
                        config_from(""));
  EXPECT_EQ(verdict.computed, Action::pass);
  EXPECT_EQ(verdict.forced, "outbound");
}

}  // namespace
}  // namespace pushback::scoring
