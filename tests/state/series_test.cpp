// Bucket series, the record codec and keyed hashing.
#include <gtest/gtest.h>

#include "state/keyed_hash.hpp"
#include "state/records.hpp"
#include "state/series.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

TEST(Series, SumsWindowsAndPrunes) {
  Series series;
  series.add(100, 1);
  series.add(105, 2);
  series.add(105, 1);
  series.add(110, 4);
  EXPECT_EQ(series.sum(110, 1), 4u);
  EXPECT_EQ(series.sum(110, 6), 7u);   // 105..110
  EXPECT_EQ(series.sum(110, 11), 8u);  // 100..110
  EXPECT_EQ(series.sum(104, 5), 1u);   // later buckets are not counted
  series.add(105, -3);
  EXPECT_EQ(series.entries().size(), 2u);
  series.add(99, -1);  // absent: nothing to take
  series.prune(110, 5);
  EXPECT_EQ(series.entries().size(), 1u);
  EXPECT_EQ(series.total(), 4u);
}

// A busy owner's 40 days of hourly buckets survive the codec, and a damaged
// record (a bucket repeated, a zero count) still decodes to a valid series.
TEST(Series, LongSeriesRoundTripAndDamagedEntries) {
  Series busy;
  for (Bucket b = 1000; b < 1960; ++b) busy.add(b, b % 3 == 0 ? 2 : 1);
  ByteWriter writer;
  writer.series(busy, 1960);
  ByteReader reader(writer.str());
  Series back = reader.series(1960);
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(back.entries(), busy.entries());
  EXPECT_EQ(back.sum(1959, 24), busy.sum(1959, 24));

  Series damaged = Series::from_newest_first({{12, 1}, {12, 2}, {10, 0}, {9, 4}, {11, 1}});
  std::vector<std::pair<Bucket, std::uint32_t>> expected{{9, 4}, {11, 1}, {12, 3}};
  EXPECT_EQ(damaged.entries(), expected);
}

TEST(Records, PairRoundTripIsCompact) {
  detail::PairRecord pair;
  pair.touched = 1'730'001'600;  // a bucket boundary
  pair.first_seen = pair.touched - 86400 * 12;
  pair.last_seen = pair.touched;
  pair.last_reply = 0;
  pair.total = 5;
  pair.streak = 5;
  pair.steps = 3;
  pair.last_tag = 0xbeef;
  pair.templates = {{1, pair.touched - 86400 * 12}, {2, pair.touched - 86400 * 3}, {3, pair.touched}};
  for (std::uint32_t day = 0; day < 5; ++day) pair.messages.add(480'000 + day * 72, 1);
  std::string bytes = pair.encode(3600);
  EXPECT_LE(bytes.size(), 38u);
  detail::PairRecord back = detail::PairRecord::decode(bytes, 3600);
  EXPECT_EQ(back.first_seen, pair.first_seen);
  EXPECT_EQ(back.last_seen, pair.last_seen);
  EXPECT_EQ(back.last_reply, 0u);
  EXPECT_EQ(back.total, 5u);
  EXPECT_EQ(back.last_tag, 0xbeef);
  EXPECT_EQ(back.templates, pair.templates);
  EXPECT_EQ(back.messages.entries(), pair.messages.entries());
  // Damaged input decodes to an empty record, never a crash.
  EXPECT_EQ(detail::PairRecord::decode(bytes.substr(0, 7), 3600).total, 0u);
  EXPECT_EQ(detail::TemplateRecord::decode("xx", 3600).total, 0u);
}

// Every optional field of the pair layout, present and absent.
TEST(Records, PairFlagsRoundTrip) {
  struct Case {
    const char* name;
    std::uint32_t streak, steps, templates, last_reply;
    bool dialogue, newest_now;
  };
  const std::uint32_t touched = 1'730'001'600 + 1234;
  const Case cases[] = {
      {"one-way, a new template each time", 3, 3, 3, 0, false, true},
      {"answered", 0, 3, 3, touched - 50, true, true},
      {"dialogue without a reply time", 1, 3, 3, 0, true, false},
      {"more steps than kept", 9, 12, 4, 0, false, false},
      {"no templates", 9, 0, 0, 0, false, false},
      {"sixteen kept", 20, 16, 16, touched, true, true},
  };
  for (const auto& c : cases) {
    detail::PairRecord pair;
    pair.touched = touched;
    pair.first_seen = touched - 86400 * 30;
    pair.last_seen = touched - 7;
    pair.last_reply = c.last_reply;
    pair.dialogue = c.dialogue;
    pair.total = 9;
    pair.streak = c.streak;
    pair.steps = c.steps;
    pair.last_tag = 0x1234;
    for (std::uint32_t i = 0; i < c.templates; ++i) {
      std::uint32_t back = c.newest_now && i + 1 == c.templates ? 0 : (c.templates - i) * 3600 * 5;
      pair.templates.emplace_back(100 + i, (touched - back) / 3600 * 3600);
    }
    pair.messages.add(touched / 3600, 7);
    pair.messages.add(touched / 3600 - 500, 1);
    pair.messages.add(touched / 3600 - 501, 300);
    detail::PairRecord back = detail::PairRecord::decode(pair.encode(3600), 3600);
    EXPECT_EQ(back.touched, pair.touched) << c.name;
    EXPECT_EQ(back.first_seen, pair.first_seen) << c.name;
    EXPECT_EQ(back.last_seen, pair.last_seen) << c.name;
    EXPECT_EQ(back.last_reply, pair.last_reply) << c.name;
    EXPECT_EQ(back.dialogue, pair.dialogue) << c.name;
    EXPECT_EQ(back.total, pair.total) << c.name;
    EXPECT_EQ(back.streak, pair.streak) << c.name;
    EXPECT_EQ(back.steps, pair.steps) << c.name;
    EXPECT_EQ(back.last_tag, pair.last_tag) << c.name;
    EXPECT_EQ(back.templates, pair.templates) << c.name;
    EXPECT_EQ(back.messages.entries(), pair.messages.entries()) << c.name;
  }
}

TEST(Records, PairKeysCutHashes) {
  const std::uint64_t domain = 0x1122334455667788ull;
  const std::uint64_t recipient = 0xa1a2a3a4a5a6a7a8ull;
  const std::uint64_t sender = 0xb1b2b3b4b5b6b7b8ull;
  std::string key = detail::make_pair_key(domain, recipient, sender);
  EXPECT_EQ(key.size(), detail::pair_key_size);
  EXPECT_EQ(key.substr(0, 5), detail::make_pair_prefix(domain));
  EXPECT_EQ(key.substr(0, 10), detail::make_pair_prefix(domain, recipient));
  EXPECT_EQ(detail::pair_key_sender(key), detail::short_sender(sender));
  EXPECT_EQ(detail::pair_key_recipient(key), 0xa1a2a3a4a5ull);
  EXPECT_NE(detail::make_band_key(1, 3, 42), detail::make_band_key(2, 3, 42));
  EXPECT_NE(detail::make_band_key(1, 3, 42), detail::make_band_key(1, 4, 42));
}

TEST(KeyedHash, DependsOnKeyKindAndParts) {
  std::array<std::uint8_t, secret_key_size> key{};
  KeyedHasher a(key);
  key[0] = 1;
  KeyedHasher b(key);
  EXPECT_NE(a.hash(HashKind::recipient, "alice@corp.example"), b.hash(HashKind::recipient, "alice@corp.example"));
  EXPECT_NE(a.hash(HashKind::recipient, "x"), a.hash(HashKind::message_id, "x"));
  EXPECT_NE(a.hash(HashKind::dedup, "ab", "c"), a.hash(HashKind::dedup, "a", "bc"));
  EXPECT_EQ(a.hash(HashKind::sender, "s"), a.hash(HashKind::sender, "s"));
  EXPECT_EQ(to_hex(0xabc), "0000000000000abc");
}

TEST(KeyedHash, KeyFileCreatedOnceWithMode0600) {
  testing::TempDir dir;
  KeyedHasher first = KeyedHasher::from_state_dir(dir.path());
  KeyedHasher again = KeyedHasher::from_state_dir(dir.path());
  EXPECT_EQ(first.hash(HashKind::recipient, "a"), again.hash(HashKind::recipient, "a"));
  testing::TempDir other;
  EXPECT_NE(first.hash(HashKind::recipient, "a"),
            KeyedHasher::from_state_dir(other.path()).hash(HashKind::recipient, "a"));
  // A truncated key file is refused rather than silently replaced.
  std::string path = other.path() + "/" + secret_key_file;
  ::truncate(path.c_str(), 5);
  EXPECT_THROW(KeyedHasher::from_state_dir(other.path()), std::runtime_error);
}

}  // namespace
}  // namespace pushback::state
