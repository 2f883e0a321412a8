// The seal verifies only for the key and sender it was made with, and every
// change to what it says breaks it.
#include "quarantine/seal.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace pushback::quarantine {
namespace {

std::array<std::uint8_t, 32> key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> k{};
  k.fill(fill);
  return k;
}

SealFacts held_facts() {
  SealFacts facts;
  facts.time = 1796360269;
  facts.action = "quarantine";
  facts.score = "13.0";
  facts.template_known = true;
  facts.template_id = 0x1a2b3c4d;
  facts.symbols = {"UNANSWERED_STREAK", "FAKE_REPLY", "SEQUENCE_STEP"};
  return facts;
}

TEST(Seal, RoundTrips) {
  Sealer sealer(key(7));
  std::string value = sealer.seal(held_facts(), "dana@growthly.example");
  EXPECT_EQ(
      value.rfind("v=1;t=1796360269;a=quarantine;s=13.0;c=1a2b3c4d;y=UNANSWERED_STREAK,FAKE_REPLY,SEQUENCE_STEP;m=", 0),
      0u)
      << value;
  auto facts = sealer.verify(value, "dana@growthly.example");
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->time, 1796360269);
  EXPECT_EQ(facts->action, "quarantine");
  EXPECT_EQ(facts->score, "13.0");
  EXPECT_TRUE(facts->template_known);
  EXPECT_EQ(facts->template_id, 0x1a2b3c4du);
  EXPECT_EQ(facts->symbols, held_facts().symbols);
}

TEST(Seal, WithoutTemplateOrSymbols) {
  Sealer sealer(key(7));
  SealFacts facts;
  facts.time = 5;
  facts.action = "pass";
  facts.score = "0.0";
  auto got = sealer.verify(sealer.seal(facts, "a@b.example"), "a@b.example");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->template_known);
  EXPECT_TRUE(got->symbols.empty());
}

TEST(Seal, SurvivesFoldingByARelay) {
  Sealer sealer(key(7));
  std::string value = sealer.seal(held_facts(), "dana@growthly.example");
  std::string folded = value.substr(0, 40) + "\r\n\t" + value.substr(40, 30) + "\n " + value.substr(70);
  EXPECT_TRUE(sealer.verify(folded, "dana@growthly.example"));
}

TEST(Seal, AnotherKeyOrSenderDoesNotVerify) {
  std::string value = Sealer(key(7)).seal(held_facts(), "dana@growthly.example");
  EXPECT_FALSE(Sealer(key(8)).verify(value, "dana@growthly.example"));
  EXPECT_FALSE(Sealer(key(7)).verify(value, "other@growthly.example"));
  EXPECT_FALSE(Sealer(key(7)).verify(value, ""));
}

TEST(Seal, AnyChangeToTheSignedTextBreaksIt) {
  Sealer sealer(key(7));
  std::string value = sealer.seal(held_facts(), "dana@growthly.example");
  auto mac_at = value.rfind(";m=");
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i >= mac_at && i < mac_at + 3) continue;
    std::string changed = value;
    changed[i] = changed[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(sealer.verify(changed, "dana@growthly.example")) << "changed at " << i << ": " << changed;
  }
}

TEST(Seal, ForgedAndMalformedValuesAreRejected) {
  Sealer sealer(key(7));
  std::string good = sealer.seal(held_facts(), "dana@growthly.example");
  std::string mac = good.substr(good.rfind(";m=") + 3);
  for (std::string forged : {
           std::string(""),
           std::string("v=1;t=1;a=quarantine;s=99.0;c=-;y=-;m=00000000000000000000000000000000"),
           std::string("v=1;t=1;a=quarantine;s=99.0;c=-;y=-;m=") + mac,
           good + "0",
           good.substr(0, good.size() - 1),
           good + ";m=" + mac,
           "junk;" + good,
           std::string(max_seal_length + 1, 'a'),
           std::string("m=") + mac,
       }) {
    EXPECT_FALSE(sealer.verify(forged, "dana@growthly.example")) << forged;
  }
}

TEST(Seal, SymbolNamesAreCappedAndCleaned) {
  Sealer sealer(key(7));
  SealFacts facts = held_facts();
  facts.symbols.clear();
  for (int i = 0; i < 40; ++i) facts.symbols.push_back("SYM_" + std::to_string(i));
  facts.symbols.insert(facts.symbols.begin(), "BAD;NAME=1,X");
  auto got = sealer.verify(sealer.seal(facts, "a@b"), "a@b");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->symbols.size(), max_seal_symbols);
  EXPECT_EQ(got->symbols.front(), "BADNAME1X");
}

TEST(Seal, KeyFromTheStateDirectory) {
  auto dir = std::filesystem::temp_directory_path() / ("pb-seal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_THROW(Sealer::from_state_dir(dir.string()), std::runtime_error);  // no key yet
  {
    std::ofstream out(dir / "secret.key", std::ios::binary);
    out << std::string(31, 'k');
  }
  EXPECT_THROW(Sealer::from_state_dir(dir.string()), std::runtime_error);  // wrong size
  {
    std::ofstream out(dir / "secret.key", std::ios::binary);
    out << std::string(32, '\x07');
  }
  auto from_file = Sealer::from_state_dir(dir.string());
  EXPECT_TRUE(Sealer(key(7)).verify(from_file.seal(held_facts(), "a@b"), "a@b"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pushback::quarantine
