// Only a held message whose seal verifies for its own sender and says
// "quarantine" is Pushback's; forged headers are never taken for our verdict.
#include "quarantine/held_message.hpp"

#include <gtest/gtest.h>

namespace pushback::quarantine {
namespace {

Sealer sealer() {
  std::array<std::uint8_t, 32> k{};
  k.fill(3);
  return Sealer(k);
}

QueueEntry entry(std::string sender = "Dana@Growthly.example") {
  QueueEntry e;
  e.queue_id = "C87A0A72173";
  e.queue_name = "hold";
  e.arrival_time = 1796360269;
  e.sender = std::move(sender);
  e.recipients = {"alice@corp.example"};
  return e;
}

SealFacts facts(std::string action = "quarantine") {
  SealFacts f;
  f.time = 1796360269;
  f.action = std::move(action);
  f.score = "13.0";
  f.template_known = true;
  f.template_id = 0xabcdef01;
  f.symbols = {"UNANSWERED_STREAK", "FAKE_REPLY"};
  return f;
}

std::string headers(const std::string& seals) {
  return "Received: from x by mx; Fri, 4 Dec 2026 04:57:49 +0000\n"
         "From: Dana <dana@growthly.example>\n"
         "Subject: Re: Quick\n question\n"
         "Message-ID: <1@growthly.example>\n"
         "X-Pushback-Score: 13.0\n"
         "X-Pushback-Report: UNANSWERED_STREAK(6.0)[4 messages, 0 replies, 0 days]\n" +
         seals + "\n";
}

TEST(HeldMessage, OurSealIsRecognised) {
  auto s = sealer();
  // The milter seals with the normalised envelope sender.
  auto block = parse_header_block(headers("X-Pushback-Seal: " + s.seal(facts(), "dana@growthly.example") + "\n"));
  auto held = recognise_held(entry(), block, s);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->subject, "Re: Quick question");
  EXPECT_EQ(held->message_id, "<1@growthly.example>");
  EXPECT_EQ(held->verdict.score, "13.0");
  EXPECT_EQ(held->verdict.template_id, 0xabcdef01u);
  EXPECT_EQ(held->report, "UNANSWERED_STREAK(6.0)[4 messages, 0 replies, 0 days]");
}

TEST(HeldMessage, NoSealIsNotOurs) {
  auto s = sealer();
  EXPECT_FALSE(recognise_held(entry(), parse_header_block(headers("")), s));
}

TEST(HeldMessage, AForgedSealIsNotOurs) {
  auto s = sealer();
  std::array<std::uint8_t, 32> other{};
  other.fill(4);
  std::string forged = Sealer(other).seal(facts(), "dana@growthly.example");
  EXPECT_FALSE(recognise_held(entry(), parse_header_block(headers("X-Pushback-Seal: " + forged + "\n")), s));
}

TEST(HeldMessage, ASealCopiedFromAnotherSendersMessageIsNotOurs) {
  auto s = sealer();
  std::string copied = s.seal(facts(), "someone-else@growthly.example");
  EXPECT_FALSE(recognise_held(entry(), parse_header_block(headers("X-Pushback-Seal: " + copied + "\n")), s));
}

TEST(HeldMessage, ASealThatDidNotQuarantineIsNotAHold) {
  auto s = sealer();
  // Held by something else (an admin, a header check) after Pushback passed it.
  std::string passed = s.seal(facts("tag"), "dana@growthly.example");
  EXPECT_FALSE(recognise_held(entry(), parse_header_block(headers("X-Pushback-Seal: " + passed + "\n")), s));
}

TEST(HeldMessage, TheLastVerifyingSealCountsBesideForgedOnes) {
  auto s = sealer();
  std::string ours = s.seal(facts(), "dana@growthly.example");
  std::string text = headers("X-Pushback-Seal: " + ours + "\nX-Pushback-Seal: v=1;t=1;a=quarantine;s=99;c=-;y=-;m=0\n");
  auto held = recognise_held(entry(), parse_header_block(text), s);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->verdict.score, "13.0");
}

TEST(HeldMessage, ControlCharactersInTheSubjectAreRemovedForDisplay) {
  auto s = sealer();
  std::string text =
      "Subject: \x1b[31mred\x07 alert\nX-Pushback-Seal: " + s.seal(facts(), "dana@growthly.example") + "\n\n";
  auto held = recognise_held(entry(), parse_header_block(text), s);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->subject.find('\x1b'), std::string::npos);
  EXPECT_EQ(held->subject.find('\x07'), std::string::npos);
}

}  // namespace
}  // namespace pushback::quarantine
