// Release links: what verifies, what is refused and why, and single use.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "web/release_link.hpp"

namespace pushback::web {
namespace {

std::array<std::uint8_t, 32> secret(std::uint8_t fill) {
  std::array<std::uint8_t, 32> key{};
  key.fill(fill);
  return key;
}

const LinkClaim claim{"4ABC123DEF", "alice@corp.example", 2000000000, std::string(32, 'a')};

TEST(ReleaseLink, SignedClaimVerifiesUntilItExpires) {
  LinkSigner signer(secret(1));
  auto token = signer.sign(claim);
  EXPECT_TRUE(token.starts_with("v1."));
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), std::string::npos);
  LinkClaim got;
  EXPECT_EQ(signer.verify(token, claim.expires - 1, got), LinkCheck::valid);
  EXPECT_EQ(got.queue_id, claim.queue_id);
  EXPECT_EQ(got.recipient, claim.recipient);
  EXPECT_EQ(got.nonce, claim.nonce);
  EXPECT_EQ(signer.verify(token, claim.expires + 1, got), LinkCheck::expired);
}

TEST(ReleaseLink, AnyChangeOrAnotherKeyIsForged) {
  LinkSigner signer(secret(1));
  auto token = signer.sign(claim);
  LinkClaim got;
  EXPECT_EQ(LinkSigner(secret(2)).verify(token, 0, got), LinkCheck::forged);
  LinkClaim other = claim;
  other.recipient = "bob@corp.example";
  auto bob = LinkSigner(secret(1)).sign(other);
  // Bob's recipient field spliced into Alice's link.
  auto splice = token.substr(0, token.find('.', 3) + 1) + bob.substr(bob.find('.', 3) + 1);
  splice = splice.substr(0, splice.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_EQ(signer.verify(splice, 0, got), LinkCheck::forged);
  for (std::size_t i = 3; i < token.size(); i += 7) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_NE(signer.verify(changed, 0, got), LinkCheck::valid) << i;
  }
}

TEST(ReleaseLink, MalformedTokensAreRefusedWithoutWork) {
  LinkSigner signer(secret(1));
  LinkClaim got;
  for (std::string bad : std::vector<std::string>{"", "v1", "v2.a.b.1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.m", "v1.a.b.1.nothex.m",
                          "v1.a.b.x1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.m", "v1.!!.b.1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.m",
                          "v1.a.b.1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.m.extra", std::string(5000, 'v')}) {
    EXPECT_EQ(signer.verify(bad, 0, got), LinkCheck::malformed) << bad.substr(0, 60);
  }
}

TEST(ReleaseLink, IssuedLinksHaveFreshNonces) {
  LinkSigner signer(secret(1));
  LinkClaim a, b;
  ASSERT_EQ(signer.verify(signer.issue("Q1", "a@corp.example", 100), 0, a), LinkCheck::valid);
  ASSERT_EQ(signer.verify(signer.issue("Q1", "a@corp.example", 100), 0, b), LinkCheck::valid);
  EXPECT_NE(a.nonce, b.nonce);
}

TEST(UsedLinks, ALinkIsUsedOnceAndExpiredEntriesAreDropped) {
  auto path = std::filesystem::temp_directory_path() / ("pb-used-links-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  UsedLinks used(path.string());
  EXPECT_FALSE(used.used(claim.nonce));
  EXPECT_TRUE(used.mark(claim, 1000));
  EXPECT_TRUE(used.used(claim.nonce));
  EXPECT_FALSE(used.mark(claim, 1000));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  LinkClaim old = claim;
  old.nonce = std::string(32, 'b');
  old.expires = 500;
  EXPECT_TRUE(used.mark(old, 400));
  // Marking anything after the old link expired rewrites the file without it.
  LinkClaim later = claim;
  later.nonce = std::string(32, 'c');
  EXPECT_TRUE(used.mark(later, 600));
  EXPECT_FALSE(used.used(old.nonce));
  EXPECT_TRUE(used.used(claim.nonce));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pushback::web
