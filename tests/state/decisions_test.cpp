// Admin decisions leave the store and come back: export and import on both
// backends, the snapshot that follows every decision, and its JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "state/decision_snapshots.hpp"
#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;
using scoring::EvidenceKind;
using testing::BackendName;
using testing::LmdbBackend;
using testing::RedisBackend;

template <typename Backend>
class Decisions : public ::testing::Test {
 protected:
  Decisions() {
    settings_.backend = Backend::kind;
    settings_.state_dir = dir_.path();
    if constexpr (Backend::kind == BackendKind::redis) {
      redis_ = std::make_unique<testing::RedisServer>();
      settings_.redis.port = redis_->port();
    }
    store_ = open_store(settings_, clock_);
  }

  // One message of the acme campaign from `sender`.
  void send(const std::string& sender, std::uint32_t step) {
    clock_->advance(24h);
    Observation observation;
    observation.sender = sender;
    observation.recipients = {"alice@corp.example"};
    observation.message_id = std::to_string(++messages_) + "@" + sender;
    observation.fingerprint = testing::fingerprint(200 + step, messages_, 4);
    observation.campaign.sender.brand = "acme";
    observation.campaign.items = {{EvidenceKind::brand, "acme"}, {EvidenceKind::display_name, "sam porter"}};
    store_->observe(observation);
  }

  Feedback feedback(FeedbackKind kind, std::string sender, std::uint32_t template_id) {
    Feedback out;
    out.kind = kind;
    out.sender = std::move(sender);
    out.template_known = true;
    out.template_id = template_id;
    out.source = kind == FeedbackKind::ham ? FeedbackSource::release : FeedbackSource::remove;
    return out;
  }

  std::unique_ptr<Store> fresh_store(testing::TempDir& dir) {
    StoreSettings settings = settings_;
    settings.state_dir = dir.path();
    if constexpr (Backend::kind == BackendKind::redis) {
      other_redis_ = std::make_unique<testing::RedisServer>();
      settings.redis.port = other_redis_->port();
    }
    return open_store(settings, clock_);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::RedisServer> other_redis_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  StoreSettings settings_;
  std::unique_ptr<Store> store_;
  std::uint32_t messages_ = 0;
};

using Backends = ::testing::Types<LmdbBackend, RedisBackend>;
TYPED_TEST_SUITE(Decisions, Backends, BackendName);

TYPED_TEST(Decisions, ExportedDecisionsRestoreIntoAnEmptyStore) {
  auto& store = *this->store_;
  this->send("sam@acme-mail.example", 1);
  this->send("sam@getacme.example", 2);
  ASSERT_TRUE(store.allow("friend@partner.example"));
  ASSERT_TRUE(store.allow("partner.example"));
  ASSERT_TRUE(store.allow("campaign:sam@getacme.example"));
  EXPECT_EQ(store.inspect("sam@acme-mail.example").allowlisted_by, "campaign") << "inspect says why";
  EXPECT_EQ(store.inspect("friend@partner.example").allowlisted_by, "address");
  EXPECT_FALSE(store.inspect("other@vendor.example").allowlisted);
  ASSERT_TRUE(store.record_feedback(this->feedback(FeedbackKind::ham, "bob@vendor.example", 0x1234)));
  ASSERT_TRUE(store.record_feedback(this->feedback(FeedbackKind::outreach, "pitch@spam.example", 0x5678)));

  auto decisions = store.export_decisions();
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->allows.size(), 3u);
  auto campaign = std::find_if(decisions->allows.begin(), decisions->allows.end(),
                               [](const AllowDecision& a) { return a.entry.starts_with("campaign:"); });
  ASSERT_NE(campaign, decisions->allows.end());
  EXPECT_EQ(campaign->campaign_brand, "acme");
  std::vector<std::string> mailboxes = campaign->campaign_mailboxes;
  std::sort(mailboxes.begin(), mailboxes.end());
  EXPECT_EQ(mailboxes, (std::vector<std::string>{"sam@acme-mail.example", "sam@getacme.example"}));
  EXPECT_GE(decisions->marks.size(), 4u) << "template and sender marks of both decisions";

  testing::TempDir other;
  auto fresh = this->fresh_store(other);
  ASSERT_TRUE(fresh->import_decisions(*decisions));
  ASSERT_TRUE(fresh->import_decisions(*decisions)) << "a second import changes nothing";
  auto again = fresh->export_decisions();
  ASSERT_TRUE(again);
  // The campaign's mailboxes come back as entries of their own: a store that
  // never saw the campaign still lets them through.
  EXPECT_EQ(again->allows.size(), 5u);
  EXPECT_TRUE(fresh->inspect("sam@acme-mail.example").allowlisted);
  EXPECT_TRUE(fresh->inspect("someone@partner.example").allowlisted);
  EXPECT_EQ(fresh->inspect("someone@partner.example").allowlisted_by, "domain");
  auto marks_of = [](const AdminDecisions& d) {
    std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> out;
    for (const auto& mark : d.marks) out[mark.subject] = {mark.ham, mark.outreach};
    return out;
  };
  EXPECT_EQ(marks_of(*again), marks_of(*decisions));

  // The decisions reach the judgement: the restored sender mark counts.
  Observation observation;
  observation.sender = "pitch@spam.example";
  observation.recipients = {"carol@corp.example"};
  observation.message_id = "after-restore@spam.example";
  EXPECT_GE(fresh->observe(observation).feedback.sender_outreach, 1u);
}

TYPED_TEST(Decisions, EveryDecisionRefreshesTheSnapshot) {
  auto& store = *this->store_;
  EXPECT_FALSE(newest_decision_snapshot(this->dir_.path()));
  ASSERT_TRUE(store.allow("friend@partner.example"));
  auto first = newest_decision_snapshot(this->dir_.path());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->decisions.allows.size(), 1u);
  ASSERT_TRUE(store.record_feedback(this->feedback(FeedbackKind::outreach, "pitch@spam.example", 0x42)));
  ASSERT_TRUE(store.disallow("friend@partner.example"));
  auto latest = newest_decision_snapshot(this->dir_.path());
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->path, first->path) << "one file per day, rewritten";
  EXPECT_TRUE(latest->decisions.allows.empty());
  EXPECT_FALSE(latest->decisions.marks.empty());
  EXPECT_EQ(std::filesystem::status(latest->path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(DecisionSnapshots, JsonRoundTripAndRefusals) {
  AdminDecisions decisions;
  decisions.allows.push_back({"campaign:0000abcd", TimePoint(1'700'000'000s), {"a@x.example", "b@y.example"}, "acme"});
  decisions.allows.push_back({"friend@partner.example", TimePoint(1'700'000'100s), {}, {}});
  decisions.marks.push_back({"s:pitch@spam.example", 0, 3, TimePoint(1'700'000'200s)});
  std::string text = decisions_to_json(decisions, TimePoint(1'700'000'300s), "lmdb");
  std::string error;
  auto back = decisions_from_json(text, error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->allows.size(), 2u);
  EXPECT_EQ(back->allows[0].campaign_mailboxes, decisions.allows[0].campaign_mailboxes);
  EXPECT_EQ(back->allows[0].campaign_brand, "acme");
  EXPECT_EQ(back->allows[1].added, TimePoint(1'700'000'100s));
  ASSERT_EQ(back->marks.size(), 1u);
  EXPECT_EQ(back->marks[0].outreach, 3u);

  EXPECT_FALSE(decisions_from_json("{\"allowlist\": []}", error));
  EXPECT_EQ(error, "not a Pushback decisions file");
  EXPECT_FALSE(decisions_from_json(text.substr(0, text.size() / 2), error));
  EXPECT_EQ(error, "not JSON");
  std::string other_version = text;
  other_version.replace(other_version.find("\"version\": 1"), 12, "\"version\": 9");
  EXPECT_FALSE(decisions_from_json(other_version, error));
  EXPECT_NE(error.find("version 9"), std::string::npos);
}

TEST(DecisionSnapshots, NewestReadableSnapshotWinsAndOldOnesArePruned) {
  testing::TempDir dir;
  std::filesystem::create_directories(snapshot_directory(dir.path()));
  AdminDecisions older;
  older.allows.push_back({"old@partner.example", TimePoint(1'700'000'000s), {}, {}});
  std::ofstream(snapshot_directory(dir.path()) + "/decisions-2026-12-01.json") << decisions_to_json(older, {}, "lmdb");
  std::ofstream(snapshot_directory(dir.path()) + "/decisions-2026-12-02.json") << "{ torn";
  std::vector<std::string> skipped;
  auto found = newest_decision_snapshot(dir.path(), &skipped);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->decisions.allows.at(0).entry, "old@partner.example");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("decisions-2026-12-02.json"), std::string::npos);

  StoreSettings settings;
  settings.state_dir = dir.path();
  settings.snapshots_kept = 2;
  auto clock = std::make_shared<FakeClock>(TimePoint(1'796'644'800s));  // 2026-12-07
  auto store = open_store(settings, clock);
  ASSERT_TRUE(store->allow("new@partner.example"));  // writes decisions-2026-12-07.json
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(snapshot_directory(dir.path()))) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 2u) << "the oldest of three went";
  EXPECT_EQ(newest_decision_snapshot(dir.path())->decisions.allows.at(0).entry, "new@partner.example");
}

TEST(DecisionSnapshots, WrittenByRootTheyBelongToTheStateDirectorysOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "handing files to another user needs root";
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto store = open_store(settings, std::make_shared<FakeClock>());
  const uid_t daemon_user = 65534;  // nobody: any user but root
  ASSERT_EQ(::chown(dir.path().c_str(), daemon_user, daemon_user), 0);
  ASSERT_TRUE(store->allow("friend@partner.example"));
  auto snapshot = newest_decision_snapshot(dir.path());
  ASSERT_TRUE(snapshot);
  struct stat file {};
  ASSERT_EQ(::stat(snapshot->path.c_str(), &file), 0);
  EXPECT_EQ(file.st_uid, daemon_user) << "a root process's snapshot is the daemon's";
  ASSERT_EQ(::stat(snapshot_directory(dir.path()).c_str(), &file), 0);
  EXPECT_EQ(file.st_uid, daemon_user);
}

}  // namespace
}  // namespace pushback::state
