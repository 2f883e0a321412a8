// Sendmail control files as 8.17 writes them for a quarantined message, and
// broken or hostile variants.
#include "quarantine/sendmail_output.hpp"

#include <gtest/gtest.h>

namespace pushback::quarantine {
namespace {

const std::string held_file =
    "V8\nT1796361482\nK1796361482\nN0\nP60139\n"
    "qPushback: score 4.2 FAKE_REPLY(3.0)[Re: subject, and none of our users wrote to the sender]\n"
    "Fbs\n$_localhost [127.0.0.1]\n$rESMTP\n$s[127.0.0.1]\n${daemon_flags}\n"
    "S<dana@growthly.example>\n"
    "rRFC822; alice@corp.example\nRPFD:<alice@corp.example>\n"
    "rRFC822; bob@corp.example\nRPFD:<bob@corp.example>\n"
    "H?P?Return-Path: <\x81g>\n"
    "H??Received: from [127.0.0.1] (localhost [127.0.0.1])\n"
    "\tby mx.pushback-test.example (8.17.1.9/8.17.1.9) with ESMTP id 6B45I2UO029768;\n"
    "\tFri, 4 Dec 2026 05:18:02 GMT\n"
    "H?D?Date: Fri, 4 Dec 2026 05:18:02 GMT\n"
    "H??Subject: Re: hello\n"
    "H??Message-ID: <1@g>\n"
    "H??X-Pushback-Report: FAKE_REPLY(3.0)[Re: subject, and none of our users wrote to\n"
    "\tthe sender]\n"
    "H??X-Pushback-Seal: "
    "v=1;t=1796361482;a=quarantine;s=4.2;c=edcdc64b;y=FAKE_REPLY;m=87717cc33f077dc680d8362688a5d999\n"
    ".\n";

TEST(SendmailControlFile, ParsesAQuarantinedMessage) {
  auto file = parse_control_file("6B45I2UO029768", held_file);
  ASSERT_EQ(file.error, "");
  EXPECT_EQ(file.entry.queue_id, "6B45I2UO029768");
  EXPECT_EQ(file.entry.queue_name, "hold");
  EXPECT_EQ(file.entry.arrival_time, 1796361482);
  EXPECT_EQ(file.entry.sender, "dana@growthly.example");
  EXPECT_EQ(file.entry.recipients, (std::vector<std::string>{"alice@corp.example", "bob@corp.example"}));
  EXPECT_EQ(file.reason.rfind("Pushback: score 4.2", 0), 0u);
  EXPECT_EQ(last_value(file.headers, "Subject"), "Re: hello");
  EXPECT_EQ(last_value(file.headers, "X-Pushback-Report"),
            "FAKE_REPLY(3.0)[Re: subject, and none of our users wrote to\tthe sender]");
  EXPECT_EQ(last_value(file.headers, "X-Pushback-Seal").rfind("v=1;t=1796361482;a=quarantine", 0), 0u);
  EXPECT_EQ(last_value(file.headers, "Date"), "Fri, 4 Dec 2026 05:18:02 GMT");
}

TEST(SendmailControlFile, WithoutAQuarantineLineItIsNotHeld) {
  std::string queued = held_file;
  queued.erase(queued.find("qPushback"), queued.find("Fbs") - queued.find("qPushback"));
  auto file = parse_control_file("6B45I2UO029768", queued);
  ASSERT_EQ(file.error, "");
  EXPECT_EQ(file.entry.queue_name, "queue");
}

struct Broken {
  const char* name;
  std::string id;
  std::string text;
  const char* error;
};

class SendmailBroken : public testing::TestWithParam<Broken> {};

TEST_P(SendmailBroken, IsReportedNotTrusted) {
  auto file = parse_control_file(GetParam().id, GetParam().text);
  EXPECT_EQ(file.error, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SendmailBroken,
    testing::Values(
        Broken{"bad_id", "../x", held_file, "invalid queue id"},
        Broken{"empty", "6B45I2UO029768", "", "incomplete control file"},
        Broken{"cut_short", "6B45I2UO029768", held_file.substr(0, held_file.size() / 2), "incomplete control file"},
        Broken{"no_sender", "6B45I2UO029768", "V8\nT1\n.\n", "incomplete control file"},
        Broken{"bad_time", "6B45I2UO029768", "V8\nTsoon\nS<a@b>\n.\n", "bad T line"},
        Broken{"bad_recipient", "6B45I2UO029768", "V8\nT1\nS<a@b>\nRnocolon\n.\n", "bad R line"},
        Broken{"bad_header", "6B45I2UO029768", "V8\nT1\nS<a@b>\nH?P Subject: x\n.\n", "bad H line"},
        Broken{"huge", "6B45I2UO029768", std::string(max_control_file_bytes + 1, 'H'), "control file too large"}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(SendmailControlFile, HeadersAfterTheEndAreIgnored) {
  auto file = parse_control_file("6B45I2UO029768", "V8\nT1\nS<a@b>\n.\nH??X-Pushback-Seal: late\n");
  ASSERT_EQ(file.error, "");
  EXPECT_EQ(last_value(file.headers, "X-Pushback-Seal"), "");
}

TEST(SendmailConfig, QueueDirectory) {
  EXPECT_EQ(queue_directory_of("O Foo=1\nO QueueDirectory=/var/spool/mqueue\nO Bar=2\n"), "/var/spool/mqueue");
  EXPECT_FALSE(queue_directory_of("O Foo=1\n#O QueueDirectory=/x\n"));
}

}  // namespace
}  // namespace pushback::quarantine
