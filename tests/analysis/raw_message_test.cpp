// Reading RFC 822 files: unfolding, line ends, and garbage that must still
// give a message.
#include <gtest/gtest.h>

#include "scoring/raw_message.hpp"

namespace pushback::scoring {
namespace {

TEST(RawMessage, SplitsHeadersAndBody) {
  struct Case {
    std::string name;
    std::string raw;
    std::vector<std::pair<std::string, std::string>> want_headers;
    std::string want_body;
  };
  std::vector<Case> cases{
      {"lf", "From: a@b.c\nSubject: hi\n\nline 1\nline 2\n", {{"From", "a@b.c"}, {"Subject", "hi"}},
       "line 1\r\nline 2\r\n"},
      {"crlf", "From: a@b.c\r\nSubject: hi\r\n\r\nbody\r\n", {{"From", "a@b.c"}, {"Subject", "hi"}}, "body\r\n"},
      {"folded", "Subject: one\n two\n\tthree\n\nx", {{"Subject", "one two\tthree"}}, "x"},
      {"mbox_from_line", "From someone Mon Jan 1 00:00:00 2024\nTo: x@y.z\n\nb", {{"To", "x@y.z"}}, "b"},
      {"no_header_block", "just some text\nand more\n", {}, "just some text\r\nand more\r\n"},
      {"no_blank_line", "To: x@y.z\nnot a header line\n", {{"To", "x@y.z"}}, "not a header line\r\n"},
      {"headers_only", "To: x@y.z\n", {{"To", "x@y.z"}}, ""},
      {"empty", "", {}, ""},
      {"no_space_after_colon", "To:x@y.z\n\nb", {{"To", "x@y.z"}}, "b"},
  };
  for (const auto& c : cases) {
    auto got = parse_raw_message(c.raw);
    ASSERT_EQ(got.headers.size(), c.want_headers.size()) << c.name;
    for (std::size_t i = 0; i < got.headers.size(); ++i) {
      EXPECT_EQ(got.headers[i].name, c.want_headers[i].first) << c.name;
      EXPECT_EQ(got.headers[i].value, c.want_headers[i].second) << c.name;
    }
    EXPECT_EQ(got.body, c.want_body) << c.name;
    EXPECT_FALSE(got.headers_truncated) << c.name;
  }
}

TEST(RawMessage, NulBytesAreKept) {
  std::string raw("Subject: a\0b\n\nbo\0dy", 19);
  auto got = parse_raw_message(raw);
  ASSERT_EQ(got.headers.size(), 1u);
  EXPECT_EQ(got.headers[0].value, std::string("a\0b", 3));
  EXPECT_EQ(got.body, std::string("bo\0dy", 5));
}

TEST(RawMessage, MegabyteHeaderLineIsCut) {
  std::string raw = "Subject: " + std::string(1024 * 1024, 'x') + "\nTo: a@b.c\n\nbody";
  auto got = parse_raw_message(raw);
  ASSERT_EQ(got.headers.size(), 2u);
  EXPECT_EQ(got.headers[0].value.size(), raw_header_value_bytes);
  EXPECT_TRUE(got.headers_truncated);
  EXPECT_EQ(got.body, "body");
}

TEST(RawMessage, TooManyHeadersAreDropped) {
  std::string raw;
  for (std::size_t i = 0; i < raw_header_count + 10; ++i) raw += "X-N: " + std::to_string(i) + "\n";
  raw += "\nbody";
  auto got = parse_raw_message(raw);
  EXPECT_EQ(got.headers.size(), raw_header_count);
  EXPECT_TRUE(got.headers_truncated);
  EXPECT_EQ(got.body, "body");
}

}  // namespace
}  // namespace pushback::scoring
