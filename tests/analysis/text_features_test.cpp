// The text stages wired together: the cap on line length.
#include <gtest/gtest.h>

#include <algorithm>

#include "scoring/text_features.hpp"

namespace pushback::scoring {
namespace {

// With bare LF line ends: a CR would count as a byte of its line.
Message lf_message(std::string body) {
  Message message;
  message.headers.push_back({"Content-Type", "text/plain"});
  message.body = std::move(body);
  return message;
}

TEST(TextFeatures, CapsLongLines) {
  struct Case {
    std::string name;
    std::string body;
    std::string want_text;
    bool want_limit;
  };
  std::vector<Case> cases{
      {"short_text", "abc", "abc", false},
      {"at_the_limit", "0123456789\nshort", "0123456789\nshort", false},
      {"every_line_at_the_limit", "0123456789\n0123456789\n0123456789", "0123456789\n0123456789\n0123456789", false},
      {"first_line_over", "0123456789XYZ\nabc", "0123456789\nabc", true},
      {"middle_line_over", "abc\n0123456789X\nshort", "abc\n0123456789\nshort", true},
      {"last_line_over", "abc\n0123456789XYZ", "abc\n0123456789", true},
      {"after_many_short_lines", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n0123456789XY", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n0123456789",
       true},
  };
  for (const auto& c : cases) {
    auto got = extract_text_features(lf_message(c.body), TextLimits{.line_length = 10});
    EXPECT_EQ(got.text, c.want_text) << c.name;
    bool hit = std::find(got.limits_hit.begin(), got.limits_hit.end(), limit_name::line_length) != got.limits_hit.end();
    EXPECT_EQ(hit, c.want_limit) << c.name;
  }
}

}  // namespace
}  // namespace pushback::scoring
