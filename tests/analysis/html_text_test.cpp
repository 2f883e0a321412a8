// HTML to text: dropped elements, line breaks, quote markers, images and
// links, and an HTML bomb.
#include <gtest/gtest.h>

#include <algorithm>

#include "mail_builder.hpp"
#include "scoring/html_text.hpp"
#include "scoring/text_features.hpp"

namespace pushback::scoring {
namespace {

TEST(HtmlText, TextWithLineBreaks) {
  struct Case {
    std::string name;
    std::string html;
    std::string want;
  };
  std::vector<Case> cases{
      {"blocks", "<p>one</p><p>two<br>three</p><div>four</div>", "one\ntwo\nthree\nfour\n"},
      {"dropped", "<html><head><title>T</title><style>p{}</style></head><body>a<script>x()</script>b</body></html>",
       "ab\n"},
      {"entities", "<p>caf&eacute;&nbsp;&amp;&nbsp;bar</p>", "café & bar\n"},
      {"inline", "<p>a <b>bold</b> <a href='x'>link</a></p>", "a bold link\n"},
      {"source_newlines", "<p>one\ntwo</p>", "one two\n"},
  };
  for (const auto& c : cases) {
    auto got = html_to_text(c.html, 256);
    EXPECT_EQ(got.text, c.want) << c.name;
    EXPECT_EQ(got.quote_at, std::string::npos) << c.name;
  }
}

TEST(HtmlText, QuoteMarkers) {
  std::vector<std::string> markers{
      "<blockquote>old</blockquote>",
      "<div class=\"gmail_quote\">old</div>",
      "<div class=\"x gmail_quote y\">old</div>",
      "<div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">From: old</div>",
      "<div id=\"divRplyFwdMsg\">old</div>",
      "<div class=\"moz-cite-prefix\">On day, X wrote:</div><blockquote>old</blockquote>",
      "<div class=\"yahoo_quoted\">old</div>",
  };
  for (const auto& marker : markers) {
    auto got = html_to_text("<p>new text</p>" + marker, 256);
    ASSERT_NE(got.quote_at, std::string::npos) << marker;
    EXPECT_EQ(got.text.substr(0, got.quote_at), "new text\n") << marker;
  }
}

TEST(HtmlText, ImagesAndLinks) {
  auto got = html_to_text(
      "<a href=\"https://t.example.com/c/1\">x</a><img src=\"a.png\" width=\"1\" height=\"1\">"
      "<img src=\"b.gif\" style=\"display:none; width: 2px;height:3px\"><img src=\"c.jpg\" hidden>"
      "<img src=\"d.jpg\" style=\"opacity:0\"><img src=\"e.jpg\" width=\"600\">",
      256);
  ASSERT_EQ(got.refs.links.size(), 1u);
  EXPECT_EQ(got.refs.links[0], "https://t.example.com/c/1");
  struct Want {
    std::string src;
    int width;
    int height;
    bool hidden;
  };
  std::vector<Want> want{{"a.png", 1, 1, false}, {"b.gif", 2, 3, true}, {"c.jpg", -1, -1, true},
                         {"d.jpg", -1, -1, true}, {"e.jpg", 600, -1, false}};
  ASSERT_EQ(got.refs.images.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.refs.images[i].src, want[i].src);
    EXPECT_EQ(got.refs.images[i].width, want[i].width) << want[i].src;
    EXPECT_EQ(got.refs.images[i].height, want[i].height) << want[i].src;
    EXPECT_EQ(got.refs.images[i].hidden, want[i].hidden) << want[i].src;
  }
}

TEST(HtmlText, InputIsReadAsUtf8) {
  struct Case {
    std::string name;
    std::string html;
    std::string want;
  };
  std::vector<Case> cases{
      {"utf8", "<p>caf\xc3\xa9 \xe2\x84\xa2</p>", "caf\xc3\xa9 \xe2\x84\xa2\n"},
      {"meta_charset_ignored",
       "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head>"
       "<body><p>caf\xc3\xa9</p></body></html>",
       "caf\xc3\xa9\n"},
      // An invalid byte becomes U+FFFD; what follows is still read as UTF-8.
      {"invalid_byte", "<p>a\xff b \xc3\xa9</p>", "a\xef\xbf\xbd b \xc3\xa9\n"},
      {"nul_dropped", std::string("<p>a\0b</p>", 10), "ab\n"},
      // &#149; and &#153; mean the windows-1252 bullet and trade mark sign.
      {"c1_references", "<p>&#149; Brand&#153;</p>", "\xe2\x80\xa2 Brand\xe2\x84\xa2\n"},
      {"crlf", "<p>one\r\ntwo\rthree</p>", "one two three\n"},
      // Word and Outlook lists: "<![if ...]>" is a comment to an HTML5 parser.
      {"bogus_comments", "<p>a<![if !supportLists]>1.<![endif]>b<!x>c<![CDATA[d]]>e<!--f--></p>", "a1.bce\n"},
      {"conditional_comments", "<!--[if !mso]><style>p{}</style><![endif]--><p>a<!--[if mso]>b<![endif]-->c</p>",
       "ac\n"},
      // One U+FFFD for each byte of an overlong form, a surrogate, a code
      // point over U+10FFFF or a sequence cut short; four bytes that are valid stay.
      {"overlong", "<p>a\xe0\x80\xafz</p>", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\n"},
      {"surrogate", "<p>a\xed\xa0\x80z</p>", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\n"},
      {"over_max", "<p>a\xf4\x90\x80\x80z</p>", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\n"},
      {"four_bytes", "<p>a\xf0\x9f\x98\x80z</p>", "a\xf0\x9f\x98\x80z\n"},
      {"cut_at_end", "<p>a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd\n"},
      // "<!" opens a comment only as written: not across a dropped NUL, not inside a comment.
      {"nul_before_bang", std::string("<p>a<\0!x>b</p>", 14), "a<!x>b\n"},
      {"line_break_then_bogus", "<p>a\r<!x>b</p>", "a b\n"},
      {"bogus_in_comment", "<p>x<!-- <!y> -->z</p>", "xz\n"},
      {"exclamation_marks", "<p>Now! <b>!</b>ok<!</p>", "Now! !ok\n"},
      {"long_lines", "<p>" + std::string(200, 'a') + "\r\n" + std::string(200, 'b') + "</p>",
       std::string(200, 'a') + " " + std::string(200, 'b') + "\n"},
  };
  for (const auto& c : cases) EXPECT_EQ(html_to_text(c.html, 256).text, c.want) << c.name;
}

TEST(HtmlText, UpperCaseNamesAreRead) {
  auto got = html_to_text(
      "<p>new</p><DIV CLASS=\"X Yahoo_Quoted\">old<IMG SRC=\"x.gif\" WIDTH=\"3\" HEIGHT=4 HIDDEN>"
      "<A HREF=\"u\">l</A></DIV>",
      256);
  EXPECT_EQ(got.text, "new\noldl\n");
  EXPECT_EQ(got.quote_at, 4u);
  ASSERT_EQ(got.refs.images.size(), 1u);
  EXPECT_EQ(got.refs.images[0].src, "x.gif");
  EXPECT_EQ(got.refs.images[0].width, 3);
  EXPECT_EQ(got.refs.images[0].height, 4);
  EXPECT_TRUE(got.refs.images[0].hidden);
  ASSERT_EQ(got.refs.links.size(), 1u);
  EXPECT_EQ(got.refs.links[0], "u");
}

TEST(HtmlText, LineBreaksInAttributes) {
  auto got = html_to_text("<a\r\nhref=\"https://t.example.com/a?x=1\r\n#y\">x</a>", 256);
  ASSERT_EQ(got.refs.links.size(), 1u);
  EXPECT_EQ(got.refs.links[0], "https://t.example.com/a?x=1\n#y");
}

TEST(HtmlText, HundredThousandNestedDivs) {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep";
  for (int i = 0; i < 100000; ++i) html += "</div>";
  auto message = test::html_mail("a@example.com", "b@example.org", "bomb", "<p>top words here</p>" + html);
  auto got = extract_text_features(message);
  EXPECT_TRUE(std::find(got.limits_hit.begin(), got.limits_hit.end(), limit_name::html_depth) != got.limits_hit.end() ||
              std::find(got.limits_hit.begin(), got.limits_hit.end(), limit_name::text_bytes) != got.limits_hit.end());
  EXPECT_NE(got.text.find("top words here"), std::string::npos);
}

TEST(HtmlText, DepthLimitDropsDeepContent) {
  std::string html;
  for (int i = 0; i < 50; ++i) html += "<div>";
  html += "deep";
  auto got = html_to_text("<p>shallow</p>" + html, 20);
  EXPECT_TRUE(got.depth_hit);
  EXPECT_EQ(got.text.find("deep"), std::string::npos);
  EXPECT_NE(got.text.find("shallow"), std::string::npos);
}

}  // namespace
}  // namespace pushback::scoring
