// Sequence-tooling markers on crafted messages, against the shipped file.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/data_files.hpp"
#include "scoring/markers.hpp"

namespace pushback::scoring {
namespace {

std::shared_ptr<const MarkerMatcher> shipped() {
  static const auto matcher = [] {
    auto loaded = config::load_outreach_markers_file(std::string(PUSHBACK_SOURCE_DIR) + "/data/outreach_markers.toml");
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.errors.front().to_string();
      return std::shared_ptr<const MarkerMatcher>{};
    }
    auto build = MarkerMatcher::build(*loaded.markers);
    for (const auto& error : build.errors) ADD_FAILURE() << error;
    return build.matcher;
  }();
  return matcher;
}

const MarkerFinding* find(const std::vector<MarkerFinding>& findings, std::string_view id) {
  auto at = std::find_if(findings.begin(), findings.end(), [&](const MarkerFinding& f) { return f.id == id; });
  return at == findings.end() ? nullptr : &*at;
}

TEST(Markers, SplitUrl) {
  struct Case {
    const char* url;
    const char* host;
    const char* path;
  } cases[] = {
      {"https://t.yesware.com/t/abc/o.gif", "t.yesware.com", "/t/abc/o.gif"},
      {"HTTP://User@T.Yesware.COM:8080/tl/x?y=1#z", "t.yesware.com", "/tl/x"},
      {"//track.mixmax.com/api/track/v2/abc", "track.mixmax.com", "/api/track/v2/abc"},
      {"https://calendly.com", "calendly.com", "/"},
      {"https://example.com.?q", "example.com", "/"},
      {"cid:image001.png@01D", "", ""},
      {"mailto:someone@example.com", "", ""},
      {"data:image/gif;base64,R0lGOD", "", ""},
      {"", "", ""},
  };
  for (const auto& c : cases) {
    auto parts = split_url(c.url);
    EXPECT_EQ(parts.host, c.host) << c.url;
    EXPECT_EQ(parts.path, c.path) << c.url;
  }
}

TEST(Markers, PlatformHeaders) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  Message message;
  message.headers = {{"From", "Sam <sam@vendor.example>"},
                     {"x-hs-cid", "1axfanp4mrbz4cmkfutffu15eigxtiailgmstc"},
                     {"X-Mailer", "Mixmax/1.0"},
                     {"X-HS-Cid", "second copy counts once"}};
  auto findings = m->match(message, {});
  ASSERT_EQ(findings.size(), 2u);
  const auto* hubspot = find(findings, "hubspot.hs_cid");
  ASSERT_NE(hubspot, nullptr);
  EXPECT_EQ(hubspot->kind, MarkerKind::platform_header);
  EXPECT_EQ(hubspot->reason, "X-HS-Cid header (HubSpot)");
  EXPECT_NE(find(findings, "mixmax.x_mailer"), nullptr);
}

TEST(Markers, HeaderValuePatternMustMatch) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  Message message;
  message.headers = {{"X-Mailer", "Microsoft Outlook 16.0"}};
  EXPECT_TRUE(m->match(message, {}).empty());
}

TEST(Markers, KnownPixelHost) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.images = {{"https://t.yesware.com/t/abc/def/spacer.gif", 1, 1, false},
                 {"https://t.yesware.com/t/other.gif", 1, 1, false}};
  auto findings = m->match_refs(refs);
  ASSERT_EQ(findings.size(), 1u);  // one entry, one finding; no generic pixel on top
  EXPECT_EQ(findings[0].id, "yesware.open");
  EXPECT_EQ(findings[0].kind, MarkerKind::tracking_pixel);
  EXPECT_EQ(findings[0].reason, "1x1 image from t.yesware.com (Yesware)");
}

TEST(Markers, PixelBehindGmailProxyAndHostFamilies) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.images = {
      {"https://ci4.googleusercontent.com/proxy/abc#http://t.sidekickopen04.com/e1t/o/5/xyz", 0, 0, true},
      {"https://outrch.com/api/mailings/opened/123.gif", -1, -1, false},
      {"https://app.salesloft.com/email_trackers/abc/open.gif", -1, -1, false},
  };
  auto findings = m->match_refs(refs);
  EXPECT_NE(find(findings, "hubspot_sales.open"), nullptr);
  EXPECT_NE(find(findings, "outreach.open_outrch"), nullptr);
  const auto* salesloft = find(findings, "salesloft.open");
  ASSERT_NE(salesloft, nullptr);
  EXPECT_EQ(salesloft->reason, "image from app.salesloft.com (Salesloft)");
}

TEST(Markers, PathPrefixAndLabelBoundaries) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.images = {{"https://salesloft.com/blog/header.png", 600, 200, false},  // not the tracker path
                 {"https://nott.yesware.com.evil.example/t/x.gif", 600, 200, false},
                 {"https://mylemlist.com/api/track/x", 600, 200, false}};
  EXPECT_TRUE(m->match_refs(refs).empty());
}

TEST(Markers, GenericPixelOnceForUnknownHosts) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.images = {{"https://news.example.org/logo.png", 200, 60, false},
                 {"cid:image001.png", 1, 1, false},  // inline, cannot track
                 {"https://mail.example.net/o/abc123", 1, 1, false},
                 {"https://mail.example.net/o/def456", 0, 0, false}};
  auto findings = m->match_refs(refs);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].id, "generic_pixel");
  EXPECT_EQ(findings[0].reason, "1x1 image from mail.example.net");
  EXPECT_TRUE(findings[0].platform.empty());
}

TEST(Markers, HiddenImageCounts) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.images = {{"https://img.example.net/x.png", -1, -1, true}};
  auto findings = m->match_refs(refs);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].reason, "hidden image from img.example.net");
}

TEST(Markers, LinkTrackingAndBookingLinks) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  refs.links = {"https://t.yesware.com/tt/abc/def/example.com/pricing",
                "https://acme.chilipiper.com/book/me/sam",
                "https://calendly.com/sam/15min",
                "https://calendly.com/sam/30min",
                "https://www.example.com/about",
                "mailto:sam@vendor.example"};
  auto findings = m->match_refs(refs);
  ASSERT_EQ(findings.size(), 3u);
  const auto* yesware = find(findings, "yesware.click_tt");
  ASSERT_NE(yesware, nullptr);
  EXPECT_EQ(yesware->kind, MarkerKind::link_tracking);
  const auto* chili = find(findings, "chilipiper");
  ASSERT_NE(chili, nullptr);
  EXPECT_EQ(chili->kind, MarkerKind::booking_link);
  EXPECT_EQ(chili->reason, "booking link to acme.chilipiper.com (Chili Piper)");
  EXPECT_NE(find(findings, "calendly"), nullptr);
}

TEST(Markers, OrdinaryMessageHasNoMarkers) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  Message message;
  message.headers = {{"From", "Ann <ann@example.com>"}, {"X-Mailer", "Apple Mail (2.3654)"}, {"Subject", "Lunch?"}};
  HtmlRefs refs;
  refs.images = {{"https://example.com/photo.jpg", 640, 480, false}};
  refs.links = {"https://example.com/menu"};
  EXPECT_TRUE(m->match(message, refs).empty());
}

TEST(Markers, HostileInputIsBounded) {
  auto m = shipped();
  ASSERT_NE(m, nullptr);
  HtmlRefs refs;
  for (int i = 0; i < 10000; ++i) refs.images.push_back({"https://x" + std::to_string(i) + ".example/p.gif", 1, 1, false});
  refs.links.assign(10000, "https://" + std::string(100000, 'a') + ".example/");
  auto findings = m->match_refs(refs);
  EXPECT_EQ(findings.size(), 1u);  // the generic pixel, once
}

TEST(Markers, MarkerKindNames) {
  EXPECT_EQ(to_string(MarkerKind::platform_header), "platform_header");
  EXPECT_EQ(to_string(MarkerKind::booking_link), "booking_link");
}

}  // namespace
}  // namespace pushback::scoring
