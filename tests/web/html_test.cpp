// Escaping of text from mail and the store, and the page frame.
#include <gtest/gtest.h>

#include "web/html.hpp"

namespace pushback::web {
namespace {

TEST(Html, EscapesEveryCharacterThatCanOpenMarkupOrCloseAnAttribute) {
  struct Case {
    const char* got;
    const char* want;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"plain text", "plain text"},
           {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
           {"\"Dana\" <dana@growthly.example>", "&quot;Dana&quot; &lt;dana@growthly.example&gt;"},
           {"a & b &amp;", "a &amp; b &amp;amp;"},
           {"", ""},
           {"caf\xc3\xa9", "caf\xc3\xa9"},
       }) {
    EXPECT_EQ(escape(c.got), c.want) << c.got;
  }
}

TEST(Html, UrlEncodesAllButUnreservedCharacters) {
  EXPECT_EQ(url_encode("dana+x@growthly.example"), "dana%2Bx%40growthly.example");
  EXPECT_EQ(url_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(url_encode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
}

TEST(Html, PageEscapesTheTitleAndFitsSmallScreens) {
  auto page = render_page({.title = "<b>x</b>"}, "<p>body</p>");
  EXPECT_NE(page.find("<title>&lt;b&gt;x&lt;/b&gt; - Pushback</title>"), std::string::npos);
  EXPECT_NE(page.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), std::string::npos);
  EXPECT_NE(page.find("<p>body</p>"), std::string::npos);
  EXPECT_EQ(page.find("Log out"), std::string::npos);
  auto signed_in = render_page({.title = "t", .signed_in = true, .csrf_token = "abc\"", .active = "quarantine"}, "");
  EXPECT_NE(signed_in.find(R"(<input type="hidden" name="csrf" value="abc&quot;">)"), std::string::npos);
  EXPECT_NE(signed_in.find(R"(<a href="/quarantine" class="active">)"), std::string::npos);
}

TEST(Html, RankingsNoticeTellsComputingFromUnavailable) {
  EXPECT_NE(rankings_notice(0, false).find("still being computed"), std::string::npos);
  EXPECT_NE(rankings_notice(1000, false).find("unavailable"), std::string::npos);
  EXPECT_EQ(rankings_notice(1000, true), "");
}

}  // namespace
}  // namespace pushback::web
