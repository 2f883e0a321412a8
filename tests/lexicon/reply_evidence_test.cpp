// Reply and forward prefixes in many languages, and Message-ID lists.
#include <gtest/gtest.h>

#include "scoring/reply_evidence.hpp"

namespace pushback::scoring {
namespace {

struct PrefixCase {
  const char* subject;
  std::size_t replies;
  std::size_t forwards;
  bool reply_first;
  const char* base;
};

const PrefixCase prefix_cases[] = {
    {"Re: Pricing", 1, 0, true, "Pricing"},
    {"RE: Pricing", 1, 0, true, "Pricing"},
    {"re:Pricing", 1, 0, true, "Pricing"},
    {"AW: Angebot", 1, 0, true, "Angebot"},
    {"Aw: Angebot", 1, 0, true, "Angebot"},
    {"SV: Tilbud", 1, 0, true, "Tilbud"},
    {"Antw: Offerte", 1, 0, true, "Offerte"},
    {"RIF: Offerta", 1, 0, true, "Offerta"},
    {"R: Offerta", 1, 0, true, "Offerta"},
    {"RES: Proposta", 1, 0, true, "Proposta"},
    {"Res: Proposta", 1, 0, true, "Proposta"},
    {"ENC: Proposta", 0, 1, false, "Proposta"},
    {"Fwd: Deck", 0, 1, false, "Deck"},
    {"FW: Deck", 0, 1, false, "Deck"},
    {"WG: Angebot", 0, 1, false, "Angebot"},
    {"TR : Offre", 0, 1, false, "Offre"},
    {"RV: Oferta", 0, 1, false, "Oferta"},
    {"Doorst: Offerte", 0, 1, false, "Offerte"},
    {"Re[2]: Pricing", 1, 0, true, "Pricing"},
    {"Re(3): Pricing", 1, 0, true, "Pricing"},
    {"Re: Re: RE: Pricing", 3, 0, true, "Pricing"},
    {"Fwd: Re: Pricing", 1, 1, false, "Pricing"},
    {"[EXTERNAL] Re: Pricing", 1, 0, true, "Pricing"},
    {"Re: [list] Pricing", 1, 0, true, "[list] Pricing"},
    {"ΑΠ: Προσφορά", 1, 0, true, "Προσφορά"},
    {"Отв: Предложение", 1, 0, true, "Предложение"},
    {"回复：报价", 1, 0, true, "报价"},
    {"Odp: Oferta", 1, 0, true, "Oferta"},
    {"VS: Tarjous", 1, 0, true, "Tarjous"},
    {"  Re:   spaced out  ", 1, 0, true, "spaced out"},
    {"Pricing", 0, 0, false, "Pricing"},
    {"Re", 0, 0, false, "Re"},
    {"Regarding: the offer", 0, 0, false, "Regarding: the offer"},
    {"Ref: 1234", 0, 0, false, "Ref: 1234"},
    {"Resume attached", 0, 0, false, "Resume attached"},
    {"[EXTERNAL] Pricing", 0, 0, false, "[EXTERNAL] Pricing"},
    {"I: Inoltro", 0, 1, false, "Inoltro"},
    {"", 0, 0, false, ""},
};

class SubjectPrefix : public ::testing::TestWithParam<PrefixCase> {};

INSTANTIATE_TEST_SUITE_P(ReplyEvidence, SubjectPrefix, ::testing::ValuesIn(prefix_cases));

TEST_P(SubjectPrefix, StripsAndCounts) {
  const auto& c = GetParam();
  auto got = strip_subject_prefixes(c.subject);
  EXPECT_EQ(got.replies, c.replies) << c.subject;
  EXPECT_EQ(got.forwards, c.forwards) << c.subject;
  EXPECT_EQ(got.reply_first, c.reply_first) << c.subject;
  EXPECT_EQ(got.base, c.base) << c.subject;
}

TEST(ReplyEvidence, PrefixCountIsBounded) {
  std::string subject;
  for (int i = 0; i < 10000; ++i) subject += "Re: ";
  subject += "Pricing";
  auto got = strip_subject_prefixes(subject);
  EXPECT_EQ(got.replies, max_subject_prefixes);
}

TEST(ReplyEvidence, ParsesMessageIds) {
  auto got = parse_message_ids(" <a@b.example>\r\n\t<c.d@e.example> (comment <not@an.id>) <broken id@x> junk <f@g>", 10);
  EXPECT_EQ(got.ids, (std::vector<std::string>{"<a@b.example>", "<c.d@e.example>", "<f@g>"}));
  EXPECT_FALSE(got.truncated);
}

TEST(ReplyEvidence, KeepsTheNewestIds) {
  std::string references;
  for (int i = 0; i < 50; ++i) references += "<id" + std::to_string(i) + "@example.com> ";
  auto got = parse_message_ids(references, max_reference_ids);
  ASSERT_EQ(got.ids.size(), max_reference_ids);
  EXPECT_TRUE(got.truncated);
  EXPECT_EQ(got.ids.back(), "<id49@example.com>");
  EXPECT_EQ(got.ids.front(), "<id18@example.com>");
}

TEST(ReplyEvidence, OverlongIdIsDropped) {
  auto got = parse_message_ids("<" + std::string(1000, 'x') + "@example.com> <ok@example.com>", 4);
  EXPECT_EQ(got.ids, (std::vector<std::string>{"<ok@example.com>"}));
  EXPECT_TRUE(got.truncated);
}

TEST(ReplyEvidence, BareIdsWithoutBrackets) {
  auto got = parse_message_ids("abc@example.com", 4);
  EXPECT_EQ(got.ids, (std::vector<std::string>{"<abc@example.com>"}));
  EXPECT_TRUE(parse_message_ids("", 4).ids.empty());
  EXPECT_TRUE(parse_message_ids("<unterminated@x", 4).ids.empty());
}

TEST(ReplyEvidence, FromMessageHeaders) {
  Message message;
  message.headers = {{"Subject", "RE: Quick question"},
                     {"in-reply-to", "<CAF123@mail.example.com>"},
                     {"References", "<root@x.example> <CAF123@mail.example.com>"}};
  auto evidence = reply_evidence(message);
  EXPECT_TRUE(evidence.looks_like_reply());
  EXPECT_TRUE(evidence.has_thread_ids());
  EXPECT_EQ(evidence.subject.base, "Quick question");
  EXPECT_EQ(evidence.in_reply_to.ids, (std::vector<std::string>{"<CAF123@mail.example.com>"}));
  EXPECT_EQ(evidence.references.ids.size(), 2u);
}

// A fake reply: "Re:" with no thread ids at all.
TEST(ReplyEvidence, FakeReplyShape) {
  auto evidence = reply_evidence("Re: {{company}} + us", "", "");
  EXPECT_TRUE(evidence.looks_like_reply());
  EXPECT_FALSE(evidence.has_thread_ids());
}

}  // namespace
}  // namespace pushback::scoring
