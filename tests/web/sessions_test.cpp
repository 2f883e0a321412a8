// Sessions, CSRF tokens and the login limit, with time passed in.
#include <gtest/gtest.h>

#include "web/sessions.hpp"

namespace pushback::web {
namespace {

TEST(Sessions, ASessionLivesItsLifetimeAndEndsOnClose) {
  SessionTable table(3600);
  auto id = table.open("admin from 127.0.0.1", 1000);
  EXPECT_EQ(id.size(), 64u);
  auto session = table.find(id, 4599);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->who, "admin from 127.0.0.1");
  EXPECT_EQ(session->csrf.size(), 64u);
  EXPECT_FALSE(table.find(id, 4600));
  EXPECT_EQ(table.size(), 0u);  // dropped when found expired
  auto other = table.open("admin", 5000);
  EXPECT_NE(other, id);
  table.close(other);
  EXPECT_FALSE(table.find(other, 5001));
  EXPECT_FALSE(table.find("not-a-session", 5001));
}

TEST(Sessions, ExpiredSessionsAreDroppedWhenANewOneOpens) {
  SessionTable table(10);
  for (int i = 0; i < 5; ++i) table.open("admin", 0);
  table.open("admin", 100);
  EXPECT_EQ(table.size(), 1u);
}

TEST(Sessions, CsrfTokenMustMatchExactly) {
  Session session{"admin", "0123456789abcdef", 0};
  EXPECT_TRUE(csrf_matches(session, "0123456789abcdef"));
  EXPECT_FALSE(csrf_matches(session, ""));
  EXPECT_FALSE(csrf_matches(session, "0123456789abcde"));
  EXPECT_FALSE(csrf_matches(session, "0123456789abcdeF"));
  EXPECT_FALSE(csrf_matches(Session{"admin", "", 0}, ""));
}

TEST(LoginLimiter, RefusesAfterTheAttemptsUntilTheWindowPasses) {
  LoginLimiter limiter(3, 900);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.wait_seconds("192.0.2.1", 100 + i), 0);
    limiter.failed("192.0.2.1", 100 + i);
  }
  EXPECT_EQ(limiter.wait_seconds("192.0.2.1", 103), 897);  // until the first failure leaves the window
  EXPECT_EQ(limiter.wait_seconds("192.0.2.2", 103), 0);    // per client
  EXPECT_EQ(limiter.wait_seconds("192.0.2.1", 1000), 0);
  limiter.failed("192.0.2.1", 1000);
  limiter.succeeded("192.0.2.1");
  EXPECT_EQ(limiter.wait_seconds("192.0.2.1", 1001), 0);
}

TEST(LoginLimiter, AFloodOfAddressesStaysBounded) {
  LoginLimiter limiter(1, 60);
  for (int i = 0; i < 20000; ++i) limiter.failed("client-" + std::to_string(i), 0);
  // The newest client is still limited; memory did not grow past the cap.
  EXPECT_GT(limiter.wait_seconds("client-19999", 1), 0);
}

}  // namespace
}  // namespace pushback::web
