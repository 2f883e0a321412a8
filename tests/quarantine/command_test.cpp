// The command runner: argument vectors reach the program unchanged (no shell),
// output is captured and capped, failures are values.
#include "quarantine/command.hpp"

#include <gtest/gtest.h>

namespace pushback::quarantine {
namespace {

TEST(Command, ArgumentsReachTheProgramVerbatim) {
  auto result = run_command({"/usr/bin/printf", "%s|", "a b", "$(id)", "; rm -rf /", "*"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.out, "a b|$(id)|; rm -rf /|*|");
}

TEST(Command, StandardErrorAndExitStatusAreKept) {
  auto result = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_TRUE(result.started);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(Command, InputIsWrittenToTheProgram) {
  std::string input(300000, 'x');
  auto result = run_command({"/usr/bin/wc", "-c"}, input);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::stoul(result.out), input.size());
}

TEST(Command, OutputIsCapped) {
  CommandLimits limits;
  limits.max_output_bytes = 1000;
  auto result = run_command({"/usr/bin/head", "-c", "100000", "/dev/zero"}, {}, limits);
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.out.size(), 1000u);
}

TEST(Command, AProgramThatHangsIsKilled) {
  CommandLimits limits;
  limits.timeout = std::chrono::seconds(1);
  auto result = run_command({"/bin/sleep", "30"}, {}, limits);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
}

TEST(Command, AMissingOrRelativeProgramIsAnError) {
  auto missing = run_command({"/nonexistent/postsuper", "-d", "ALL"});
  EXPECT_FALSE(missing.started);
  EXPECT_NE(missing.error.find("/nonexistent/postsuper"), std::string::npos);
  auto relative = run_command({"postsuper", "-d", "ALL"});
  EXPECT_FALSE(relative.started);
  EXPECT_FALSE(run_command({}).started);
}

}  // namespace
}  // namespace pushback::quarantine
