// Configuration: defaults, the shipped example, and every kind of bad file
// with the message an admin would see.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "config/load.hpp"
#include "config/schema.hpp"

namespace pushback::config {
namespace {

TEST(Config, EmptyFileGivesDefaults) {
  auto result = load_config_text("", "empty.toml");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->milter.socket.libmilter_form(), "unix:/var/spool/postfix/pushback/pushback.sock");
  EXPECT_EQ(result.config->milter.on_error, FailureAction::accept);
  EXPECT_EQ(result.config->milter.max_body_bytes, 262144);
  EXPECT_EQ(result.config->milter.socket_mode, 0660u);
  EXPECT_EQ(result.config->milter.timeout, std::chrono::minutes(5));
}

TEST(Config, GoodFileIsApplied) {
  auto result = load_config_text(R"(
[milter]
socket = "inet:127.0.0.1:8893"
on_error = "tempfail"
timeout = "90s"
max_body_bytes = 4096
[log]
target = "syslog"
facility = "local3"
[headers]
add_report = false
)", "good.toml");
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  const auto& c = *result.config;
  EXPECT_EQ(c.milter.socket.libmilter_form(), "inet:8893@127.0.0.1");
  EXPECT_EQ(c.milter.on_error, FailureAction::tempfail);
  EXPECT_EQ(c.milter.timeout, std::chrono::seconds(90));
  EXPECT_EQ(c.milter.max_body_bytes, 4096);
  EXPECT_EQ(c.log.target, LogTarget::syslog);
  EXPECT_EQ(c.log.facility, "local3");
  EXPECT_FALSE(c.headers.add_report);
}

// The annotated example that ships with the package is valid and mentions
// every key of the schema, so it cannot drift from the code.
TEST(Config, ExampleFileIsValidAndComplete) {
  const std::string path = std::string(PUSHBACK_SOURCE_DIR) + "/data/pushback.toml";
  auto result = load_config_file(path);
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& key : schema()) {
    auto dot = key.path.rfind('.');
    std::string section = "[" + std::string(key.path.substr(0, dot)) + "]";
    std::string name = std::string(key.path.substr(dot + 1)) + " = ";
    auto at = text.find(section);
    ASSERT_NE(at, std::string::npos) << section;
    EXPECT_NE(text.find(name, at), std::string::npos) << key.path << " is missing from data/pushback.toml";
  }
}

TEST(Config, SchemaDefaultsAreDocumented) {
  std::set<std::string_view> seen;
  for (const auto& key : schema()) {
    EXPECT_FALSE(key.doc.empty()) << key.path;
    EXPECT_TRUE(seen.insert(key.path).second) << "duplicate key " << key.path;
  }
  EXPECT_NE(schema_markdown().find("`milter.socket`"), std::string::npos);
}

struct BadCase {
  const char* name;
  const char* text;
  const char* want;  // the whole first error line
};

class BadConfig : public testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesFileLineAndKey) {
  auto result = load_config_text(GetParam().text, "/etc/pushback/pushback.toml");
  ASSERT_FALSE(result.ok());
  ASSERT_FALSE(result.errors.empty());
  EXPECT_EQ(result.errors.front().to_string(), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfig,
    testing::Values(
        BadCase{"unknown_key", "[milter]\nsocket = \"unix:/x\"\nsockt = 1\n",
                "/etc/pushback/pushback.toml:3: milter.sockt: unknown key"},
        BadCase{"unknown_section", "[miltr]\nsocket = 1\n",
                "/etc/pushback/pushback.toml:1: miltr: unknown section"},
        BadCase{"top_level_key", "socket = \"unix:/x\"\n",
                "/etc/pushback/pushback.toml:1: socket: unknown key"},
        BadCase{"section_as_key", "milter = 3\n",
                "/etc/pushback/pushback.toml:1: milter: is a section, not a key"},
        BadCase{"wrong_type", "[milter]\nmax_body_bytes = \"big\"\n",
                "/etc/pushback/pushback.toml:2: milter.max_body_bytes: expected an integer"},
        BadCase{"out_of_range", "[milter]\nmax_body_bytes = 12\n",
                "/etc/pushback/pushback.toml:2: milter.max_body_bytes: 12 is outside the allowed range 1024 to "
                "67108864"},
        BadCase{"bad_choice", "[milter]\non_error = \"drop\"\n",
                "/etc/pushback/pushback.toml:2: milter.on_error: \"drop\" is not one of \"accept\", \"tempfail\""},
        BadCase{"bad_socket", "[milter]\nsocket = \"inet:99999@127.0.0.1\"\n",
                "/etc/pushback/pushback.toml:2: milter.socket: port '99999' is not a number from 1 to 65535"},
        BadCase{"bad_duration", "[milter]\ntimeout = \"5 minutes\"\n",
                "/etc/pushback/pushback.toml:2: milter.timeout: expected a duration such as \"30s\", \"15m\", "
                "\"2h\" or \"7d\""},
        BadCase{"bad_mode", "[milter]\nsocket_mode = \"rw\"\n",
                "/etc/pushback/pushback.toml:2: milter.socket_mode: expected an octal mode such as \"0660\""},
        BadCase{"boolean_as_string", "[headers]\nadd_report = \"yes\"\n",
                "/etc/pushback/pushback.toml:2: headers.add_report: expected true or false"},
        BadCase{"thresholds_not_rising", "[policy]\ntag_threshold = 5.0\nquarantine_threshold = 30.0\nreject_threshold = 20.0\n",
                "/etc/pushback/pushback.toml:4: policy.reject_threshold: thresholds must rise: tag_threshold < "
                "quarantine_threshold < reject_threshold"},
        BadCase{"bad_network", "[direction]\ntrusted_networks = [\"10.0.0.0/33\"]\n",
                "/etc/pushback/pushback.toml:2: direction.trusted_networks: \"10.0.0.0/33\" is not an IP address or "
                "CIDR network"},
        BadCase{"sentinel_not_host_port", "[state.redis]\nsentinels = [\"127.0.0.1\"]\nmaster_name = \"m\"\n",
                "/etc/pushback/pushback.toml:2: state.redis.sentinels: \"127.0.0.1\" is not host:port"},
        BadCase{"sentinels_without_master_name", "[state.redis]\nsentinels = [\"127.0.0.1:26379\"]\n",
                "/etc/pushback/pushback.toml:2: state.redis.sentinels: state.redis.master_name is needed with "
                "Sentinels"},
        BadCase{"relative_redis_socket", "[state.redis]\nsocket = \"redis.sock\"\n",
                "/etc/pushback/pushback.toml:2: state.redis.socket: \"redis.sock\" is not an absolute path"},
        BadCase{"socket_with_sentinels",
                "[state.redis]\nsentinels = [\"127.0.0.1:26379\"]\nmaster_name = \"m\"\nsocket = \"/run/redis.sock\"\n",
                "/etc/pushback/pushback.toml:4: state.redis.socket: a unix socket and Sentinels exclude each other: the "
                "Sentinels name the primary's host and port"},
        BadCase{"missing_password_file", "[state.redis]\npassword_file = \"/nonexistent/redis.pass\"\n",
                "/etc/pushback/pushback.toml:2: state.redis.password_file: cannot read /nonexistent/redis.pass: No "
                "such file or directory"},
        BadCase{"bad_window", "[state]\nwindows = [\"7d\", \"1d\"]\n",
                "/etc/pushback/pushback.toml:2: state.windows: windows must be listed shortest first"},
        BadCase{"reply_text_with_newline", "[policy]\nreject_text = \"go away\\r\\nBcc: x\"\n",
                "/etc/pushback/pushback.toml:2: policy.reject_text: only printable ASCII is allowed in an SMTP reply"},
        BadCase{"missing_lexicon", "[analysis]\nphrases_file = \"/nonexistent/phrases.toml\"\n",
                "/nonexistent/phrases.toml: analysis.phrases_file: cannot be read"},
        BadCase{"syntax_error", "[milter]\nsocket = \"unix:/x\n",
                "/etc/pushback/pushback.toml:2: Error while parsing string: unescaped control characters other than TAB "
                "(U+0009) are explicitly prohibited"}),
    [](const testing::TestParamInfo<BadCase>& case_info) { return case_info.param.name; });

TEST(Config, EveryErrorIsReported) {
  auto result = load_config_text("[milter]\nsockt = 1\non_error = 3\n[log]\nlevel = \"loud\"\n", "x.toml");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].line, 2u);
  EXPECT_EQ(result.errors[1].line, 3u);
  EXPECT_EQ(result.errors[2].line, 5u);
}

TEST(Config, MissingFileIsNamed) {
  auto result = load_config_file("/nonexistent/pushback.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.front().to_string(), "/nonexistent/pushback.toml: cannot be read");
}

}  // namespace
}  // namespace pushback::config

namespace pushback::config {
namespace {

// docs/configuration.md carries the generated table; it must match the schema.
TEST(Config, ReferenceDocumentationMatchesSchema) {
  std::ifstream in(std::string(PUSHBACK_SOURCE_DIR) + "/docs/configuration.md");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(schema_markdown()), std::string::npos)
      << "docs/configuration.md is out of date: regenerate its table with `pushback check-config --schema`";
}

}  // namespace
}  // namespace pushback::config

namespace pushback::config {
namespace {

TEST(Config, MetricsEndpointStaysOnLoopbackUnlessAllowed) {
  for (const char* listen : {"127.0.0.1:9893", "127.1.2.3:80", "[::1]:9893", "localhost:9893"}) {
    auto text = std::string("[metrics]\nlisten = \"") + listen + "\"\n";
    EXPECT_TRUE(load_config_text(text, "m.toml").ok()) << listen;
  }
  auto refused = load_config_text("[metrics]\n\nlisten = \"0.0.0.0:9893\"\n", "m.toml");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.errors.front().to_string(),
            "m.toml:3: metrics.listen: \"0.0.0.0:9893\" is not a loopback address; set metrics.allow_non_loopback = "
            "true to expose the unauthenticated endpoint");
  EXPECT_TRUE(load_config_text("[metrics]\nlisten = \"0.0.0.0:9893\"\nallow_non_loopback = true\n", "m.toml").ok());
  EXPECT_TRUE(load_config_text("[metrics]\nlisten = \"192.0.2.1:1\"\nenabled = false\n", "m.toml").ok());
}

TEST(Config, WebConsoleStaysOnLoopbackUnlessAllowed) {
  EXPECT_TRUE(load_config_text("[web]\nlisten = \"[::1]:9894\"\n", "w.toml").ok());
  auto refused = load_config_text("[web]\nlisten = \"0.0.0.0:9894\"\n", "w.toml");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.errors.front().to_string().substr(0, 70),
            "w.toml:2: web.listen: \"0.0.0.0:9894\" is not a loopback address; set we");
  EXPECT_TRUE(load_config_text("[web]\nlisten = \"0.0.0.0:9894\"\nallow_non_loopback = true\n", "w.toml").ok());
  auto bad_url = load_config_text("[web]\npublic_url = \"mail.example.com\"\n", "w.toml");
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.errors.front().key, "web.public_url");
}

}  // namespace
}  // namespace pushback::config

namespace pushback::config {
namespace {

TEST(Network, MatchesCidr) {
  auto v4 = parse_network("192.0.2.0/24");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("192.0.2.77"));
  EXPECT_TRUE(v4->contains("::ffff:192.0.2.77"));
  EXPECT_FALSE(v4->contains("192.0.3.1"));
  EXPECT_FALSE(v4->contains("not an ip"));
  auto v6 = parse_network("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("2001:db8:7fff::1"));
  EXPECT_FALSE(v6->contains("2001:db8:8000::1"));
  auto host = parse_network("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains("127.0.0.1"));
  EXPECT_FALSE(host->contains("127.0.0.2"));
  EXPECT_FALSE(parse_network("300.1.1.1/8"));
  EXPECT_FALSE(parse_network("10.0.0.0/"));
}

}  // namespace
}  // namespace pushback::config
