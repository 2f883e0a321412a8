// Header hygiene: nothing from a message can inject a header line, values are
// folded, and the report reads NAME(score)[reason], strongest first.
#include <gtest/gtest.h>

#include "scoring/header_text.hpp"

namespace pushback::scoring {
namespace {

TEST(HeaderText, NoLineBreakSurvives) {
  auto value = sanitise_header_value("ok\r\nX-Pushback-Verdict: pass\r\n\r\nbody\n\tmore\0tail");
  EXPECT_EQ(value.find('\r'), std::string::npos);
  EXPECT_EQ(value.find('\n'), std::string::npos);
  EXPECT_EQ(value, "ok X-Pushback-Verdict: pass body more");
}

TEST(HeaderText, NulAndControlBytesBecomeSpaces) {
  std::string text("a\0b\x01" "c\x7f" "d", 7);
  EXPECT_EQ(sanitise_header_value(text), "a b c d");
}

TEST(HeaderText, InvalidUtf8IsReplacedValidIsKept) {
  EXPECT_EQ(sanitise_header_value("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sanitise_header_value("bad\xff\xfe!"), "bad?" "?!");
  EXPECT_EQ(sanitise_header_value("cut\xe2\x82"), "cut??");
}

TEST(HeaderText, UnicodeLineSeparatorsAreSpaces) {
  EXPECT_EQ(sanitise_header_value("a\xe2\x80\xa8" "b\xc2\x85" "c"), "a b c");
}

TEST(HeaderText, FoldsAtSeventyEightColumns) {
  std::string value;
  for (int i = 0; i < 30; ++i) value += "WORD" + std::to_string(i) + " ";
  value.pop_back();
  auto folded = fold_header_value("X-Pushback-Report", value);
  std::string full = "X-Pushback-Report: " + folded;
  std::size_t start = 0;
  int lines = 0;
  while (start <= full.size()) {
    auto end = full.find('\n', start);
    if (end == std::string::npos) end = full.size();
    EXPECT_LE(end - start + (lines > 0 ? 7 : 0), 78u) << full.substr(start, end - start);
    ++lines;
    start = end + 1;
  }
  EXPECT_GT(lines, 1);
  // Unfolding gives back the value.
  std::string unfolded = folded;
  for (auto pos = unfolded.find("\n\t"); pos != std::string::npos; pos = unfolded.find("\n\t")) {
    unfolded.replace(pos, 2, " ");
  }
  EXPECT_EQ(unfolded, value);
}

TEST(HeaderText, LongWordIsNotSplit) {
  std::string word(200, 'x');
  EXPECT_EQ(fold_header_value("X-Pushback-Report", word), word);
}

TEST(HeaderText, ReportSortsByWeightAndFormats) {
  std::vector<Symbol> symbols = {{"SMALL", 0.5, "a"}, {"DIALOGUE", -10, "replied 2 days ago"}, {"BIG", 6, "7 messages"}};
  EXPECT_EQ(format_report(symbols, 1000), "DIALOGUE(-10.0)[replied 2 days ago] BIG(6.0)[7 messages] SMALL(0.5)[a]");
}

TEST(HeaderText, ReportReasonCannotBreakOut) {
  std::vector<Symbol> symbols = {{"X", 1, "evil]\r\nBcc: someone"}};
  EXPECT_EQ(format_report(symbols, 1000), "X(1.0)[evil) Bcc: someone]");
}

TEST(HeaderText, ReportIsCappedWeakestFirst) {
  std::vector<Symbol> symbols = {{"A", 3, "xxxxxxxxxx"}, {"B", 2, "yyyyyyyyyy"}, {"C", 1, "zzzzzzzzzz"}};
  auto report = format_report(symbols, 30);
  EXPECT_EQ(report, "A(3.0)[xxxxxxxxxx] ...");
  EXPECT_LE(report.size(), 30u);
}

TEST(HeaderText, NonFiniteScoresAreZero) {
  EXPECT_EQ(format_score(std::numeric_limits<double>::quiet_NaN()), "0.0");
  EXPECT_EQ(format_score(std::numeric_limits<double>::infinity()), "0.0");
  EXPECT_EQ(total_score({{"A", 1.5, ""}, {"B", std::numeric_limits<double>::quiet_NaN(), ""}}), 1.5);
}

TEST(HeaderText, OwnHeadersAnyCase) {
  EXPECT_TRUE(is_own_header("X-Pushback-Score"));
  EXPECT_TRUE(is_own_header("x-pushback-verdict"));
  EXPECT_TRUE(is_own_header("X-PUSHBACK-Anything"));
  EXPECT_FALSE(is_own_header("X-Push"));
  EXPECT_FALSE(is_own_header("X-Spam-Score"));
}

}  // namespace
}  // namespace pushback::scoring
