// Organisations and campaign evidence as tables: registrable domains by the
// Public Suffix List, brands of lookalike domains, which must link and which
// must not, the campaign identity data file's errors, and the evidence read
// out of a message.
#include <gtest/gtest.h>

#include "config/data_files.hpp"
#include "config/load.hpp"
#include "scoring/analyse.hpp"
#include "scoring/campaign_evidence.hpp"
#include "scoring/organisation.hpp"

namespace pushback::scoring {
namespace {

const config::CampaignIdentityData& shipped_data() {
  static const config::CampaignIdentityData data = [] {
    auto result = config::load_campaign_identity_file(std::string(PUSHBACK_SOURCE_DIR) + "/data/campaign_identity.toml");
    EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors.front().to_string());
    return result.ok() ? *result.data : config::CampaignIdentityData{};
  }();
  return data;
}

struct RegistrableCase {
  const char* host;
  const char* want;
};

TEST(RegistrableDomain, FollowsThePublicSuffixList) {
  const RegistrableCase cases[] = {
      {"acme.com", "acme.com"},
      {"mail.acme.com", "acme.com"},
      {"Mail.ACME.com.", "acme.com"},
      {"www.bbc.co.uk", "bbc.co.uk"},
      {"shop.acme.com.au", "acme.com.au"},
      {"a.b.acme.co.jp", "acme.co.jp"},
      {"acmetools.co.uk", "acmetools.co.uk"},
      {"x.github.io", "x.github.io"},  // a private suffix: each site is its own
      {"co.uk", "co.uk"},              // a public suffix stays as it is
      {"localhost", "localhost"},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(registrable_domain(c.host), c.want) << c.host;
}

struct BrandCase {
  const char* registrable;
  const char* want;
};

TEST(Brand, AffixesOfLookalikeDomainsAreRemoved) {
  const BrandCase cases[] = {
      {"acme.com", "acme"},        {"acme-mail.com", "acme"}, {"getacme.com", "acme"},
      {"acmehq.io", "acme"},       {"tryacme.co", "acme"},    {"meetacme.com", "acme"},
      {"use-acme.com", "acme"},    {"acme-hq.co.uk", "acme"}, {"hello-acme.com.au", "acme"},
      {"acme2.com", "acme"},       {"acmeteam.io", "acme"},   {"acmetools.co.uk", "acmetools"},
      {"apple.com", "apple"},      // "app" is an affix, but "le" is too short to be a brand
      {"getit.com", "getit"},      // so is "it"
      {"mailchimp.com", "chimp"},  // affixes are removed from any brand, hence the second piece of evidence
      {"kestrelinsurance.de", "kestrelinsurance"},  // the designator goes only from the organisation's name
      {"brightbase.co.uk", "brightbase"},
  };
  for (const auto& c : cases) EXPECT_EQ(brand_of(c.registrable, shipped_data()), c.want) << c.registrable;
}

struct LookalikeCase {
  const char* a;
  const char* b;
  bool link;
};

TEST(Brand, LookalikesLinkAndOthersDoNot) {
  const LookalikeCase cases[] = {
      {"acme", "acme", true},           {"northwind", "northwnd", true},  {"northwind", "nortwhind", true},
      {"northwind", "northwinds", true}, {"acme", "acne", false},        // short brands must be equal
      {"northwind", "southwind", false}, {"acme", "acmetools", false},   {"", "", false},
  };
  for (const auto& c : cases) EXPECT_EQ(lookalike_brands(c.a, c.b), c.link) << c.a << " / " << c.b;
}

TEST(Organisation, LookalikeDomainsShareOneBrand) {
  const auto& data = shipped_data();
  std::string acme = organisation_of("acme.com", data).brand;
  for (const char* domain : {"acme-mail.com", "getacme.com", "acmehq.io", "tryacme.co", "meetacme.com"}) {
    EXPECT_TRUE(lookalike_brands(acme, organisation_of(domain, data).brand)) << domain;
  }
  EXPECT_FALSE(lookalike_brands(acme, organisation_of("acmetools.co.uk", data).brand));
}

TEST(Organisation, NameDropsTheDesignatorAfterACompanysName) {
  const auto& data = shipped_data();
  const std::pair<const char*, const char*> cases[] = {
      {"kestrelinsurance.de", "kestrel"}, {"kestrel.co.uk", "kestrel"},       {"kestrel-insurance.co.uk", "kestrel"},
      {"orbitanalytics.com", "orbit"},   {"getacme.com", "acme"},             {"acmetools.co.uk", "acmetools"},
      {"bioanalytics.com", "bioanalytics"},  // "bio" is too short to stand alone
  };
  for (const auto& [domain, want] : cases) EXPECT_EQ(organisation_of(domain, data).name, want) << domain;
}

TEST(Organisation, WebmailAndServiceDomainsAreSharedAndHaveNoBrand) {
  const auto& data = shipped_data();
  for (const char* domain : {"gmail.com", "googlemail.com", "outlook.com", "mail.yahoo.co.uk", "calendly.com",
                             "sendgrid.net", "list-manage.com"}) {
    auto org = organisation_of(domain, data);
    EXPECT_TRUE(org.shared) << domain;
    EXPECT_EQ(org.brand, "") << domain;
  }
  EXPECT_FALSE(organisation_of("acme.com", data).shared);
}

TEST(CampaignIdentityData, ErrorsNameFileLineAndKey) {
  auto result = config::load_campaign_identity_text(R"([brand]
prefixes = ["get", "Try"]
suffixes = "hq"
[shared]
domains = ["gmail.com", "not a domain"]
hosts = []
[other]
)",
                                                    "campaign_identity.toml");
  ASSERT_FALSE(result.ok());
  std::vector<std::string> got;
  for (const auto& error : result.errors) got.push_back(error.to_string());
  ASSERT_EQ(got.size(), 5u) << ::testing::PrintToString(got);
  EXPECT_NE(got[0].find("campaign_identity.toml:2"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("brand.prefixes[1]"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("brand.suffixes"), std::string::npos) << got[1];
  EXPECT_NE(got[2].find("shared.domains[1]"), std::string::npos) << got[2];
  EXPECT_NE(got[3].find("shared.hosts"), std::string::npos) << got[3];
  EXPECT_NE(got[4].find("other"), std::string::npos) << got[4];
}

// The evidence of one message, through the Analyzer as the milter runs it.
class Evidence : public ::testing::Test {
 protected:
  Evidence() {
    auto result = config::load_config_text("", "evidence.toml");
    EXPECT_TRUE(result.ok());
    config_ = *result.config;
    analyzer_ = Analyzer::build(config_).analyzer;
  }

  CampaignEvidence of(const std::string& from_envelope, const std::string& headers, const std::string& body) {
    Message message;
    message.envelope.mail_from = from_envelope;
    message.envelope.recipients = {"jane@corp.example"};
    std::size_t at = 0;
    while (at < headers.size()) {
      auto end = headers.find('\n', at);
      std::string line = headers.substr(at, end - at);
      auto colon = line.find(':');
      message.headers.push_back({line.substr(0, colon), line.substr(colon + 2)});
      at = end == std::string::npos ? headers.size() : end + 1;
    }
    message.body = body;
    return analyzer_->analyse(message).campaign;
  }

  static std::vector<std::string> described(const CampaignEvidence& evidence) {
    std::vector<std::string> out;
    for (const auto& item : evidence.items) out.push_back(std::string(to_string(item.kind)) + "=" + item.value);
    return out;
  }

  config::Config config_;
  std::shared_ptr<const Analyzer> analyzer_;
};

TEST_F(Evidence, PersonaBrandHostsAndBookingPage) {
  auto got = of("sam@getacme.com",
                "From: Sam Porter <sam@getacme.com>\nTo: Jane <jane@corp.example>\nSubject: Quick question\n"
                "Reply-To: sam.porter@acme.com\nList-Unsubscribe: <https://unsub.acme-mail.com/u/1>, <mailto:u@list-manage.com>",
                "Hi Jane,\r\n\r\nWe help teams like yours ship faster: https://acme.io/demo\r\n"
                "Book a slot: https://calendly.com/sam-porter/30min or see https://www.linkedin.com/in/x\r\n\r\n"
                "--\r\nSam Porter\r\nHead of Growth, Acme Inc.\r\n+1 (415) 555-0123\r\n");
  std::vector<std::string> want = {"brand=acme",
                                   "display name=sam porter",
                                   "signature=sam porter head of growth acme inc 1 415 555 0123",
                                   "phone=14155550123",
                                   "reply-to=sam.porter@acme.com",
                                   "unsubscribe host=acme-mail.com",
                                   "link host=acme.io",
                                   "booking page=calendly.com/sam-porter"};
  EXPECT_EQ(described(got), want);
  EXPECT_EQ(got.sender.registrable, "getacme.com");
}

TEST_F(Evidence, PlatformHeaderNamesTheSendingAccount) {
  auto got = of("news@list.example", "From: news@list.example\nX-MC-User: B00ccdbb39a8456492b99ae9e\nSubject: hi",
                "Hello\r\n");
  ASSERT_FALSE(got.items.empty());
  EXPECT_EQ(described(got).back(), "platform account=x-mc-user:b00ccdbb39a8456492b99ae9e");
  EXPECT_EQ(family_of(got.items.back().kind), EvidenceFamily::platform);
}

TEST_F(Evidence, WebmailSenderHasNoBrandAndSharedHostsAreNoEvidence) {
  auto got = of("sam.porter@gmail.com", "From: sam.porter@gmail.com\nSubject: hi",
                "See https://docs.google.com/x and https://t.yesware.com/t/1 and https://bit.ly/abc\r\n");
  EXPECT_TRUE(got.sender.shared);
  EXPECT_TRUE(got.items.empty()) << ::testing::PrintToString(described(got));
}

}  // namespace
}  // namespace pushback::scoring
