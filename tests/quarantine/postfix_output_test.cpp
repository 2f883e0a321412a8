// postqueue -j and postcat header output, as Postfix 3.7 prints them, and
// broken or hostile variants: each bad entry is skipped with a reason.
#include "quarantine/postfix_output.hpp"

#include <gtest/gtest.h>

namespace pushback::quarantine {
namespace {

constexpr const char* two_entries =
    R"({"queue_name": "hold", "queue_id": "C87A0A72173", "arrival_time": 1796360269, "message_size": 293, "forced_expire": false, "sender": "a@x.example", "recipients": [{"address": "b@corp.example"}, {"address": "c@corp.example"}]})"
    "\n"
    R"({"queue_name": "deferred", "queue_id": "4F2B1A0C9D", "arrival_time": 1796360000, "message_size": 10, "forced_expire": false, "sender": "", "recipients": [{"address": "d@corp.example", "delay_reason": "connect to x: refused"}]})"
    "\n";

TEST(PostqueueJson, ParsesEveryField) {
  auto listing = parse_postqueue_json(two_entries);
  ASSERT_TRUE(listing.errors.empty()) << listing.errors.front();
  ASSERT_EQ(listing.entries.size(), 2u);
  const auto& held = listing.entries[0];
  EXPECT_EQ(held.queue_id, "C87A0A72173");
  EXPECT_EQ(held.queue_name, "hold");
  EXPECT_EQ(held.arrival_time, 1796360269);
  EXPECT_EQ(held.message_size, 293);
  EXPECT_EQ(held.sender, "a@x.example");
  EXPECT_EQ(held.recipients, (std::vector<std::string>{"b@corp.example", "c@corp.example"}));
  EXPECT_EQ(listing.entries[1].sender, "");  // a bounce
}

TEST(PostqueueJson, LongQueueIdsAreAccepted) {
  auto listing = parse_postqueue_json(
      R"({"queue_name": "hold", "queue_id": "4RkT6x0pZqz9vBk", "arrival_time": 1, "sender": "a@b", "recipients": []})");
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].queue_id, "4RkT6x0pZqz9vBk");
}

struct BrokenLine {
  const char* name;
  const char* line;
  const char* error;
};

class PostqueueBroken : public testing::TestWithParam<BrokenLine> {};

TEST_P(PostqueueBroken, IsSkippedWithAReasonAndTheRestKept) {
  std::string text = std::string(GetParam().line) + "\n" + two_entries;
  auto listing = parse_postqueue_json(text);
  ASSERT_EQ(listing.errors.size(), 1u);
  EXPECT_EQ(listing.errors[0], std::string("line 1: ") + GetParam().error);
  EXPECT_EQ(listing.entries.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PostqueueBroken,
    testing::Values(
        BrokenLine{"not_json", "postqueue: warning: Mail system is down", "not JSON"},
        BrokenLine{"cut_short", R"({"queue_name": "hold", "queue_id": "C87A0A)", "not JSON"},
        BrokenLine{"array", R"([1, 2, 3])", "not a JSON object"},
        BrokenLine{"no_id", R"({"queue_name": "hold", "arrival_time": 1, "sender": "", "recipients": []})",
                   "no queue_id"},
        BrokenLine{"id_is_number",
                   R"({"queue_name": "hold", "queue_id": 12345678, "arrival_time": 1, "sender": "", "recipients": []})",
                   "no queue_id"},
        // An id that would be an option or a path on postsuper's command line.
        BrokenLine{"id_is_option",
                   R"({"queue_name": "hold", "queue_id": "-d ALL", "arrival_time": 1, "sender": "", "recipients": []})",
                   "invalid queue_id"},
        BrokenLine{
            "id_is_path",
            R"({"queue_name": "hold", "queue_id": "../../etc/passwd", "arrival_time": 1, "sender": "", "recipients": []})",
            "invalid queue_id"},
        BrokenLine{"id_is_all",
                   R"({"queue_name": "hold", "queue_id": "ALL", "arrival_time": 1, "sender": "", "recipients": []})",
                   "invalid queue_id"},
        BrokenLine{
            "time_is_text",
            R"({"queue_name": "hold", "queue_id": "C87A0A72173", "arrival_time": "now", "sender": "", "recipients": []})",
            "no arrival_time"},
        BrokenLine{
            "sender_is_null",
            R"({"queue_name": "hold", "queue_id": "C87A0A72173", "arrival_time": 1, "sender": null, "recipients": []})",
            "no sender"},
        BrokenLine{
            "recipient_not_object",
            R"({"queue_name": "hold", "queue_id": "C87A0A72173", "arrival_time": 1, "sender": "", "recipients": ["x@y"]})",
            "a recipient is not an object"},
        BrokenLine{
            "recipient_no_address",
            R"({"queue_name": "hold", "queue_id": "C87A0A72173", "arrival_time": 1, "sender": "", "recipients": [{"addr": "x@y"}]})",
            "a recipient has no address"}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(PostqueueJson, EmptyAndBlankOutputListsNothing) {
  EXPECT_TRUE(parse_postqueue_json("").entries.empty());
  EXPECT_TRUE(parse_postqueue_json("\n \n").errors.empty());
}

TEST(PostqueueJson, NulBytesAndHugeLinesDoNotBreakTheParser) {
  std::string nul_line("{\"queue_id\": \"AB\0CD\"}", 21);
  std::string huge(1 << 20, '{');
  auto listing = parse_postqueue_json(nul_line + "\n" + huge + "\n" + two_entries);
  EXPECT_EQ(listing.errors.size(), 2u);
  EXPECT_EQ(listing.entries.size(), 2u);
}

constexpr const char* postcat_headers =
    "Received: from [127.0.0.1] (localhost [127.0.0.1])\n"
    "\tby mx.pushback-test.example (Postfix) with ESMTP id C87A0A72173;\n"
    "\tFri,  4 Dec 2026 04:57:49 +0000 (UTC)\n"
    "From: a@x.example\n"
    "Subject: hold me\n"
    "X-Long: aaa\n"
    "  bbb\n"
    "Message-ID: <1@x>\n"
    "\n";

TEST(HeaderBlock, UnfoldsContinuationLines) {
  auto block = parse_header_block(postcat_headers);
  EXPECT_FALSE(block.truncated);
  ASSERT_EQ(block.fields.size(), 5u);
  EXPECT_EQ(block.fields[0].name, "Received");
  EXPECT_EQ(block.fields[0].value,
            "from [127.0.0.1] (localhost [127.0.0.1])\tby mx.pushback-test.example (Postfix) with ESMTP id "
            "C87A0A72173;\tFri,  4 Dec 2026 04:57:49 +0000 (UTC)");
  EXPECT_EQ(block.fields[3].value, "aaa  bbb");
  EXPECT_EQ(last_value(block, "message-id"), "<1@x>");
  EXPECT_EQ(last_value(block, "X-Missing"), "");
}

TEST(HeaderBlock, StopsAtTheBodyAndAcceptsCrLf) {
  auto block = parse_header_block("Subject: one\r\nX-A: two\r\n\r\nSubject: in the body\r\n");
  ASSERT_EQ(block.fields.size(), 2u);
  EXPECT_EQ(last_value(block, "Subject"), "one");
}

TEST(HeaderBlock, TheLastOfRepeatedFieldsWins) {
  auto block = parse_header_block("X-Pushback-Seal: first\nX-PUSHBACK-SEAL: second\n\n");
  EXPECT_EQ(last_value(block, "X-Pushback-Seal"), "second");
}

TEST(HeaderBlock, AMalformedLineEndsTheBlockAndIsFlagged) {
  auto block = parse_header_block("Subject: ok\nthis is no header\nX-Pushback-Seal: after the break\n\n");
  EXPECT_TRUE(block.truncated);
  ASSERT_EQ(block.fields.size(), 1u);
  EXPECT_EQ(last_value(block, "X-Pushback-Seal"), "");
}

TEST(HeaderBlock, ALeadingContinuationIsNoHeaderBlock) {
  auto block = parse_header_block(" continued\nSubject: x\n\n");
  EXPECT_TRUE(block.truncated);
  EXPECT_TRUE(block.fields.empty());
}

TEST(HeaderBlock, FieldsAndTheirSizeAreCapped) {
  std::string many;
  for (std::size_t i = 0; i < max_header_fields + 10; ++i) many += "X-N: " + std::to_string(i) + "\n";
  auto block = parse_header_block(many);
  EXPECT_TRUE(block.truncated);
  EXPECT_EQ(block.fields.size(), max_header_fields);

  std::string long_field = "X-Big: " + std::string(max_header_field_bytes + 100, 'a') + "\n";
  for (int i = 0; i < 3; ++i) long_field += " " + std::string(max_header_field_bytes, 'b') + "\n";
  block = parse_header_block(long_field);
  EXPECT_TRUE(block.truncated);
  ASSERT_EQ(block.fields.size(), 1u);
  EXPECT_EQ(block.fields[0].value.size(), max_header_field_bytes);
}

TEST(HeaderBlock, NulBytesAndControlCharactersStayInTheValue) {
  std::string text(
      "Subject: a\0b\x01"
      "c\n\n",
      15);
  auto block = parse_header_block(text);
  ASSERT_EQ(block.fields.size(), 1u);
  EXPECT_EQ(block.fields[0].value, std::string("a\0b\x01"
                                               "c",
                                               5));
}

}  // namespace
}  // namespace pushback::quarantine
