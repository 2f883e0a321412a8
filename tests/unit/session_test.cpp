// The session's callback logic without a socket: the MTA side is a recorder of
// what would be sent back over the milter protocol.
#include <gtest/gtest.h>

#include <map>

#include "config/load.hpp"
#include "milter/session.hpp"

namespace pushback::milter {
namespace {

class RecordingMta : public Mta {
 public:
  std::map<std::string, std::string> macros;
  std::vector<std::pair<std::string, std::string>> added;
  std::vector<std::pair<std::string, int>> deleted;
  std::vector<std::pair<std::string, std::string>> changed;
  std::string quarantined;

  std::optional<std::string> macro(std::string_view name) override {
    auto it = macros.find(std::string(name));
    if (it == macros.end()) return std::nullopt;
    return it->second;
  }
  bool add_header(const std::string& name, const std::string& value) override {
    added.emplace_back(name, value);
    return true;
  }
  bool delete_header(const std::string& name, int index) override {
    deleted.emplace_back(name, index);
    return true;
  }
  bool change_header(const std::string& name, int index, const std::string& value) override {
    changed.emplace_back(name + ":" + std::to_string(index), value);
    return true;
  }
  bool quarantine(const std::string& reason) override {
    quarantined = reason;
    return true;
  }
  bool set_reply(const std::string&, const std::string&, const std::string&) override { return true; }

  // The value as a reader sees it: folding undone.
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : added) {
      if (n != name) continue;
      std::string unfolded = v;
      for (auto pos = unfolded.find("\n\t"); pos != std::string::npos; pos = unfolded.find("\n\t")) {
        unfolded.replace(pos, 2, " ");
      }
      return unfolded;
    }
    return "<absent>";
  }
};

metrics::PushbackMetrics test_metrics;
const Services test_services{test_metrics};

std::shared_ptr<const Runtime> config_with(const std::string& text) {
  auto result = config::load_config_text(text, "test.toml");
  EXPECT_TRUE(result.ok());
  auto runtime = make_runtime(result.config);
  EXPECT_TRUE(runtime.ok());
  return runtime.runtime;
}

void send_message(Session& session, RecordingMta& mta, const std::string& subject, const std::string& body,
                  std::size_t chunk = 65536) {
  session.on_mail_from(mta, "<sender@vendor.example>");
  session.on_rcpt_to(mta, "<user@corp.example>");
  session.on_header("From", "Sender <sender@vendor.example>");
  session.on_header("Subject", subject);
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    if (session.on_body_chunk(std::string_view(body).substr(at, chunk)) == Status::skip) break;
  }
}

TEST(Session, AddsScoreAndReport) {
  // Without the text model, whose reading of two words is not this test's subject.
  Session session(config_with("[analysis]\ncold_pitch_model = \"none\"\n"), test_services);
  RecordingMta mta;
  mta.macros["i"] = "ABC123";
  send_message(session, mta, "Re: quick question", "Hi there\r\n");
  EXPECT_EQ(session.on_end_of_message(mta), Status::proceed);
  EXPECT_EQ(mta.header("X-Pushback-Score"), "1.5");
  EXPECT_EQ(mta.header("X-Pushback-Report"), "REPLY_WITHOUT_THREAD(1.5)[Re: subject with no In-Reply-To or References]");
  auto page = test_metrics.render("test");
  EXPECT_NE(page.find("pushback_symbols_total{symbol=\"REPLY_WITHOUT_THREAD\"} "), std::string::npos) << page;
  EXPECT_NE(page.find("pushback_connections_open 1\n"), std::string::npos) << page;
}

TEST(Session, RemovesForgedHeadersHighestIndexFirst) {
  Session session(config_with(""), test_services);
  RecordingMta mta;
  session.on_mail_from(mta, "<a@b.example>");
  session.on_header("X-Pushback-Score", "-100");
  session.on_header("x-pushback-score", "-50");
  session.on_header("X-Pushback-Verdict", "pass");
  session.on_end_of_message(mta);
  std::vector<std::pair<std::string, int>> want = {{"x-pushback-score", 2}, {"x-pushback-score", 1},
                                                   {"X-Pushback-Verdict", 1}};
  EXPECT_EQ(mta.deleted, want);
  EXPECT_EQ(mta.header("X-Pushback-Score"), "0.0");
}

TEST(Session, BodyOverCapIsSkippedAndFlagged) {
  Session session(config_with("[milter]\nmax_body_bytes = 1024\n"), test_services);
  session.set_no_reply_steps({.skip_supported = true});
  RecordingMta mta;
  session.on_mail_from(mta, "<a@b.example>");
  EXPECT_EQ(session.on_body_chunk(std::string(1000, 'a')), Status::proceed);
  EXPECT_EQ(session.on_body_chunk(std::string(1000, 'b')), Status::skip);
  EXPECT_EQ(session.message().body.size(), 1024u);
  EXPECT_TRUE(session.message().body_truncated);
  session.on_end_of_message(mta);
  EXPECT_NE(mta.header("X-Pushback-Report").find("BODY_TRUNCATED"), std::string::npos);
}

TEST(Session, BodyWithoutRepliesKeepsTheCapAndNeverAnswers) {
  // On a unix socket body chunks are not answered: the MTA sends the body
  // past the cap, and Pushback keeps only what the cap allows.
  Session session(config_with("[milter]\nmax_body_bytes = 1024\n"), test_services);
  session.set_no_reply_steps({.body = true});
  RecordingMta mta;
  session.on_mail_from(mta, "<a@b.example>");
  EXPECT_EQ(session.on_body_chunk(std::string(1000, 'a')), Status::no_reply);
  EXPECT_EQ(session.on_body_chunk(std::string(1000, 'b')), Status::no_reply);
  EXPECT_EQ(session.on_body_chunk(std::string(1000, 'c')), Status::no_reply);
  EXPECT_EQ(session.message().body, std::string(1000, 'a') + std::string(24, 'b'));
  EXPECT_TRUE(session.message().body_truncated);
  session.on_end_of_message(mta);
  EXPECT_NE(mta.header("X-Pushback-Report").find("BODY_TRUNCATED"), std::string::npos);
}

TEST(Session, SameResultHoweverTheBodyIsSplit) {
  std::string body;
  for (int i = 0; i < 500; ++i) body += "line " + std::to_string(i) + " of a longer message body\r\n";
  std::string first;
  for (std::size_t chunk : {1u, 7u, 64u, 1000u, 65536u}) {
    Session session(config_with("[milter]\nmax_body_bytes = 4096\n"), test_services);
    RecordingMta mta;
    send_message(session, mta, "Re: hello", body, chunk);
    std::string collected = session.message().body;
    session.on_end_of_message(mta);
    std::string result = collected + "|" + mta.header("X-Pushback-Score") + "|" + mta.header("X-Pushback-Report");
    if (first.empty()) first = result;
    EXPECT_EQ(result, first) << "chunk size " << chunk;
  }
}

TEST(Session, SeveralMessagesAndAbortStartClean) {
  Session session(config_with(""), test_services);
  RecordingMta mta;
  send_message(session, mta, "Re: one", "body one\r\n");
  session.on_abort();
  EXPECT_TRUE(session.message().headers.empty());
  EXPECT_TRUE(session.message().body.empty());
  send_message(session, mta, "Plain subject", "body two\r\n");
  EXPECT_EQ(session.message().headers.size(), 2u);
  session.on_end_of_message(mta);
  EXPECT_EQ(mta.header("X-Pushback-Score"), "0.0");
  EXPECT_TRUE(session.message().headers.empty());
}

TEST(Session, FailureFollowsConfiguredAction) {
  Session accepting(config_with(""), test_services);
  EXPECT_EQ(accepting.fail(nullptr, "test", "boom"), Status::accept);
  Session tempfailing(config_with("[milter]\non_error = \"tempfail\"\n"), test_services);
  RecordingMta mta;
  tempfailing.on_mail_from(mta, "<a@b.example>");
  EXPECT_EQ(tempfailing.fail(&mta, "header", "boom"), Status::tempfail);
  // A failure at a no-reply step is answered at end of message.
  EXPECT_EQ(tempfailing.on_end_of_message(mta), Status::tempfail);
  EXPECT_TRUE(mta.added.empty());
}

TEST(Session, HeaderAndRecipientCaps) {
  Session session(config_with("[milter]\nmax_header_count = 10\nmax_header_bytes = 256\nmax_recipients = 2\n"), test_services);
  RecordingMta mta;
  session.on_mail_from(mta, "<a@b.example>");
  for (int i = 0; i < 5; ++i) session.on_rcpt_to(mta, "<r" + std::to_string(i) + "@corp.example>");
  for (int i = 0; i < 20; ++i) session.on_header("X-Filler", std::string(1000, 'x'));
  EXPECT_EQ(session.message().envelope.recipients.size(), 2u);
  EXPECT_EQ(session.message().headers.size(), 10u);
  EXPECT_EQ(session.message().headers.front().value.size(), 256u);
  EXPECT_TRUE(session.message().headers_truncated);
}

}  // namespace
}  // namespace pushback::milter
