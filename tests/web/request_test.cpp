// Query strings, form bodies and cookies as the network sends them.
#include <gtest/gtest.h>

#include "web/request.hpp"

namespace pushback::web {
namespace {

TEST(Request, DecodesPercentEscapesAndPlusOnlyWhereAsked) {
  EXPECT_EQ(url_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(url_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(url_decode("%41%4a%6b", false), "AJk");
  // Broken escapes are kept as they came.
  EXPECT_EQ(url_decode("100%", true), "100%");
  EXPECT_EQ(url_decode("%zz%4", true), "%zz%4");
  EXPECT_EQ(url_decode("%00", true), std::string(1, '\0'));
}

TEST(Request, ParsesFormsWithRepeatedFieldsAndCapsTheirNumber) {
  auto form = parse_form("id=A1&id=B2&action=release&reason=Alice+asked%21&&flag");
  Request request;
  request.form = form;
  EXPECT_EQ(request.fields("id"), (std::vector<std::string>{"A1", "B2"}));
  EXPECT_EQ(request.field("reason"), "Alice asked!");
  EXPECT_EQ(request.field("flag"), "");
  EXPECT_EQ(request.field("missing"), "");
  EXPECT_EQ(form.count("flag"), 1u);
  std::string many;
  for (int i = 0; i < 50; ++i) many += "id=" + std::to_string(i) + "&";
  EXPECT_EQ(parse_form(many, 10).size(), 10u);
}

TEST(Request, ParsesCookiesAndKeepsTheFirstOfADuplicate) {
  auto cookies = parse_cookies(" pb_session=abc ; other=1;pb_session=evil; broken; =x");
  EXPECT_EQ(cookies.at("pb_session"), "abc");
  EXPECT_EQ(cookies.at("other"), "1");
  EXPECT_EQ(cookies.size(), 2u);
  EXPECT_TRUE(parse_cookies("").empty());
}

TEST(Request, RedirectIsSeeOther) {
  auto response = redirect("/login");
  EXPECT_EQ(response.status, 303);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Location", "/login"}));
}

}  // namespace
}  // namespace pushback::web
