// A damaged LMDB store is found out without trusting it, moved aside and
// replaced, with the admin decisions restored; backups restore anywhere;
// owners and modes are checked.
#include <fcntl.h>
#include <fmt/chrono.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "state/decision_snapshots.hpp"
#include "state/ownership.hpp"
#include "state/store.hpp"
#include "state/store_backup.hpp"
#include "state/store_health.hpp"
#include "state/store_recovery.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t page = 4096;

// Where LMDB 0.9 keeps things in a meta page (64-bit build): the main
// database's root page and the transaction id.
constexpr std::size_t meta_main_root = 128;
constexpr std::size_t meta_txnid = 144;
constexpr std::size_t meta_version = 20;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_at(const std::string& path, std::size_t offset, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::uint64_t u64_at(const std::string& file, std::size_t offset) {
  std::uint64_t value = 0;
  std::memcpy(&value, file.data() + offset, sizeof value);
  return value;
}

// The root page of the main database (a branch page once the tree has two
// levels) as the newer meta page names it, and the first leaf below it.
struct LivePages {
  std::uint64_t root = 0;
  std::uint64_t leaf = 0;
  bool root_is_branch = false;
};
LivePages live_pages(const std::string& data) {
  std::string file = read_file(data);
  std::size_t meta = u64_at(file, meta_txnid) >= u64_at(file, page + meta_txnid) ? 0 : page;
  LivePages out;
  out.root = u64_at(file, meta + meta_main_root);
  std::uint64_t at = out.root;
  for (;;) {
    const char* p = file.data() + at * page;
    std::uint16_t flags = 0, lower = 0;
    std::memcpy(&flags, p + 10, 2);
    std::memcpy(&lower, p + 12, 2);
    if ((flags & 0x01) == 0) break;  // not a branch: a leaf
    if (at == out.root) out.root_is_branch = true;
    std::uint16_t first_node = 0;
    std::memcpy(&first_node, p + 16, 2);
    std::uint16_t lo = 0, hi = 0, high = 0;
    std::memcpy(&lo, p + first_node, 2);
    std::memcpy(&hi, p + first_node + 2, 2);
    std::memcpy(&high, p + first_node + 4, 2);
    at = lo | (std::uint64_t{hi} << 16) | (std::uint64_t{high} << 32);
  }
  out.leaf = at;
  return out;
}

class Recovery : public ::testing::Test {
 protected:
  Recovery() {
    settings_.state_dir = dir_.path();
    settings_.verify_time_limit = 20s;
    // A store of several hundred records: a tree of two levels at least.
    auto store = open_store(settings_, clock_);
    for (int n = 0; n < 120; ++n) {
      clock_->advance(1h);
      Observation observation;
      observation.sender = "rep" + std::to_string(n % 30) + "@vendor" + std::to_string(n % 7) + ".example";
      observation.recipients = {"user" + std::to_string(n % 11) + "@corp.example"};
      observation.message_id = "m" + std::to_string(n) + "@vendor.example";
      observation.fingerprint = testing::fingerprint(static_cast<std::uint32_t>(300 + n % 13), static_cast<std::uint32_t>(n), 4);
      store->observe(observation);
    }
    EXPECT_TRUE(store->allow("friend@partner.example"));
    EXPECT_TRUE(store->allow("partner.example"));
  }

  std::string data() const { return dir_.path() + "/data.mdb"; }

  StoreHealth check() const { return check_lmdb_store(dir_.path(), 3600, 20s); }

  // The daemon's start on the damaged store: it must come up, keep the
  // damaged copy, and still let the allowlisted through.
  void expect_recovered(const std::string& what) {
    SCOPED_TRACE(what);
    std::string damaged_bytes = read_file(data());
    auto checked = open_checked_store(settings_, clock_);
    ASSERT_TRUE(checked.recovery);
    EXPECT_EQ(checked.recovery->found.condition, StoreCondition::damaged);
    EXPECT_EQ(read_file(checked.recovery->damaged_copy), damaged_bytes) << "the damaged copy is kept as it was";
    EXPECT_EQ(checked.recovery->allows, 2u);
    EXPECT_TRUE(checked.store->inspect("friend@partner.example").allowlisted);
    EXPECT_TRUE(checked.store->inspect("anyone@partner.example").allowlisted);
    Observation observation;
    observation.sender = "new@vendor.example";
    observation.recipients = {"user1@corp.example"};
    observation.message_id = "after@vendor.example";
    EXPECT_EQ(checked.store->observe(observation).outcome, Outcome::counted);
    EXPECT_NE(describe(*checked.recovery, dir_.path()).find(checked.recovery->damaged_copy), std::string::npos);
    checked.store.reset();
    EXPECT_EQ(check().condition, StoreCondition::sound) << "the fresh store is sound";
  }

  testing::TempDir dir_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>(TimePoint(1'796'644'800s));
  StoreSettings settings_;
};

TEST_F(Recovery, SoundStoreIsReadThrough) {
  auto health = check();
  EXPECT_EQ(health.condition, StoreCondition::sound) << health.detail;
  EXPECT_GT(health.records, 500u);
  auto checked = open_checked_store(settings_, clock_);
  EXPECT_FALSE(checked.recovery);
  EXPECT_TRUE(checked.store->inspect("rep3@vendor3.example").known) << "a sound store keeps its counts";
}

TEST_F(Recovery, MissingStoreIsAbsentAndGetsTheDecisionsBack) {
  fs::remove(data());
  EXPECT_EQ(check().condition, StoreCondition::absent);
  auto checked = open_checked_store(settings_, clock_);
  EXPECT_FALSE(checked.recovery);
  EXPECT_FALSE(checked.restored_snapshot.empty());
  EXPECT_TRUE(checked.store->inspect("friend@partner.example").allowlisted);
}

TEST_F(Recovery, TruncatedFile) {
  fs::resize_file(data(), fs::file_size(data()) / 2);
  EXPECT_NE(check().detail.find("cut short"), std::string::npos) << check().detail;
  expect_recovered("truncated");
}

TEST_F(Recovery, ZeroedMetaPages) {
  write_at(data(), 0, std::string(2 * page, '\0'));
  EXPECT_EQ(check().condition, StoreCondition::damaged);
  expect_recovered("zeroed meta pages");
}

TEST_F(Recovery, OverwrittenBranchPage) {
  auto pages = live_pages(data());
  ASSERT_TRUE(pages.root_is_branch) << "the test store should have two levels";
  std::string noise(page, '\0');
  for (std::size_t i = 0; i < page; ++i) noise[i] = static_cast<char>((i * 131 + 7) & 0xff);
  write_at(data(), pages.root * page, noise);
  EXPECT_EQ(check().condition, StoreCondition::damaged);
  expect_recovered("overwritten branch page");
}

TEST_F(Recovery, OverwrittenLeafPage) {
  auto pages = live_pages(data());
  ASSERT_NE(pages.leaf, pages.root);
  std::string noise(page, '\0');
  for (std::size_t i = 0; i < page; ++i) noise[i] = static_cast<char>((i * 17 + 3) & 0xff);
  write_at(data(), pages.leaf * page, noise);
  EXPECT_EQ(check().condition, StoreCondition::damaged);
  expect_recovered("overwritten leaf page");
}

TEST_F(Recovery, ZeroedLeafPage) {
  write_at(data(), live_pages(data()).leaf * page, std::string(page, '\0'));
  EXPECT_EQ(check().condition, StoreCondition::damaged);
  expect_recovered("zeroed leaf page");
}

TEST_F(Recovery, WrongMagicNumber) {
  write_at(data(), 16, std::string(4, 'X'));
  write_at(data(), page + 16, std::string(4, 'X'));
  EXPECT_NE(check().detail.find("MDB_INVALID"), std::string::npos) << check().detail;
  expect_recovered("wrong magic");
}

TEST_F(Recovery, AnotherLmdbFormat) {
  std::uint32_t version = 999;
  std::string bytes(reinterpret_cast<const char*>(&version), 4);
  write_at(data(), meta_version, bytes);
  write_at(data(), page + meta_version, bytes);
  EXPECT_NE(check().detail.find("MDB_VERSION_MISMATCH"), std::string::npos) << check().detail;
  expect_recovered("another LMDB format");
}

TEST_F(Recovery, AnotherRecordFormatIsMovedAsideToo) {
  settings_.bucket_width = 2h;
  auto health = check_lmdb_store(dir_.path(), 7200, 20s);
  EXPECT_EQ(health.condition, StoreCondition::incompatible);
  EXPECT_NE(health.detail.find("3600 s buckets"), std::string::npos) << health.detail;
  auto checked = open_checked_store(settings_, clock_);
  ASSERT_TRUE(checked.recovery);
  EXPECT_TRUE(checked.store->inspect("friend@partner.example").allowlisted);
}

TEST_F(Recovery, ACheckThatTakesTooLongMeansDamaged) {
  auto health = check_lmdb_store(dir_.path(), 3600, 0ms);
  EXPECT_EQ(health.condition, StoreCondition::damaged);
  EXPECT_NE(health.detail.find("did not finish"), std::string::npos) << health.detail;
}

TEST_F(Recovery, WithoutSnapshotsTheCountsAndDecisionsStartAfresh) {
  fs::remove_all(snapshot_directory(dir_.path()));
  write_at(data(), 0, std::string(2 * page, '\0'));
  auto checked = open_checked_store(settings_, clock_);
  ASSERT_TRUE(checked.recovery);
  EXPECT_TRUE(checked.recovery->snapshot.empty());
  EXPECT_NE(describe(*checked.recovery, dir_.path()).find("no snapshot"), std::string::npos);
}

TEST_F(Recovery, BackupRestoresIntoAFreshDirectoryWithItsKey) {
  std::string backup = dir_.path() + "/../" + fs::path(dir_.path()).filename().string() + ".backup.mdb";
  auto store = open_store(settings_, clock_);
  std::string error;
  ASSERT_GT(backup_lmdb_store(*store, backup, error), 0u) << error;
  EXPECT_EQ(backup_kind_of(backup), BackupKind::lmdb_store);
  auto before = store->inspect("rep3@vendor3.example");
  store.reset();

  testing::TempDir fresh;
  StoreSettings settings = settings_;
  settings.state_dir = fresh.path();
  RestoreReport report;
  ASSERT_TRUE(restore_lmdb_store(settings, backup, false, clock_->now(), report, error)) << error;
  EXPECT_TRUE(report.key_installed);
  auto restored = open_store(settings, clock_);
  auto after = restored->inspect("rep3@vendor3.example");
  ASSERT_EQ(after.pairs.size(), before.pairs.size());
  for (std::size_t i = 0; i < after.pairs.size(); ++i) {
    EXPECT_EQ(after.pairs[i].recipient, before.pairs[i].recipient) << "the recipients' keyed hashes still match";
    EXPECT_EQ(after.pairs[i].streak, before.pairs[i].streak);
  }
  EXPECT_EQ(after.counts.messages, before.counts.messages);
  EXPECT_TRUE(restored->inspect("friend@partner.example").allowlisted);

  restored.reset();

  // A second restore: refused while another process has the store open, and
  // over a store without --replace; with it, the old store is kept aside.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t holder = ::fork();
  if (holder == 0) {
    auto held = open_store(settings, std::make_shared<FakeClock>());
    held->inspect("friend@partner.example");
    (void)::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  EXPECT_TRUE(lmdb_store_in_use(settings.state_dir));
  EXPECT_FALSE(restore_lmdb_store(settings, backup, true, clock_->now(), report, error));
  EXPECT_NE(error.find("stop the daemon"), std::string::npos) << error;
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_FALSE(lmdb_store_in_use(settings.state_dir)) << "a killed holder holds nothing";
  EXPECT_FALSE(restore_lmdb_store(settings, backup, false, clock_->now(), report, error));
  EXPECT_NE(error.find("--replace"), std::string::npos) << error;
  ASSERT_TRUE(restore_lmdb_store(settings, backup, true, clock_->now(), report, error)) << error;
  EXPECT_TRUE(fs::exists(report.replaced));

  // Another directory's key would orphan every pair: refused.
  testing::TempDir keyed;
  settings.state_dir = keyed.path();
  open_store(settings, clock_).reset();  // creates its own key
  fs::remove(keyed.path() + "/data.mdb");
  EXPECT_FALSE(restore_lmdb_store(settings, backup, false, clock_->now(), report, error));
  EXPECT_NE(error.find("another secret key"), std::string::npos) << error;
  fs::remove(backup);
}

TEST_F(Recovery, DailySnapshotsKeepTheDecisionsAndACopyOfTheStore) {
  settings_.snapshot_whole_store = true;
  settings_.snapshots_kept = 2;
  auto store = open_store(settings_, clock_);
  for (int day = 0; day < 3; ++day) take_daily_snapshots(*store, clock_->now() + std::chrono::hours(24 * day));
  std::vector<std::string> copies, decisions;
  for (const auto& entry : fs::directory_iterator(snapshot_directory(dir_.path()))) {
    std::string name = entry.path().filename().string();
    (name.starts_with("store-") ? copies : decisions).push_back(entry.path().string());
  }
  std::sort(copies.begin(), copies.end());
  ASSERT_EQ(copies.size(), 2u) << "the newest two days are kept";
  EXPECT_EQ(decisions.size(), 2u);
  auto day_name = [&](int day) {
    return fmt::format("store-{:%Y-%m-%d}.mdb",
                       fmt::gmtime(std::chrono::system_clock::to_time_t(clock_->now() + std::chrono::hours(24 * day))));
  };
  EXPECT_EQ(fs::path(copies.front()).filename(), day_name(1));
  EXPECT_EQ(fs::path(copies.back()).filename(), day_name(2));
  // A daily copy is a sound store of its own.
  testing::TempDir copy_dir;
  fs::copy_file(copies.back(), copy_dir.path() + "/data.mdb");
  auto health = check_lmdb_store(copy_dir.path(), 3600, 20s);
  EXPECT_EQ(health.condition, StoreCondition::sound) << health.detail;
  EXPECT_EQ(health.records, check().records);
}

TEST_F(Recovery, DamagedBackupIsNotRestored) {
  std::string backup = dir_.path() + "/../" + fs::path(dir_.path()).filename().string() + ".damaged.mdb";
  fs::copy_file(data(), backup);
  write_at(backup, 0, std::string(2 * page, '\0'));
  testing::TempDir fresh;
  StoreSettings settings = settings_;
  settings.state_dir = fresh.path();
  RestoreReport report;
  std::string error;
  EXPECT_FALSE(restore_lmdb_store(settings, backup, false, clock_->now(), report, error));
  EXPECT_NE(error.find("not a store this version can restore"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(fresh.path() + "/data.mdb"));
  fs::remove(backup);
}

TEST_F(Recovery, OwnersAndModesAreNamedWithTheirFix) {
  StateOwner me{::geteuid(), "me"};
  EXPECT_TRUE(check_state_ownership(dir_.path(), me).empty());
  ::chmod(data().c_str(), 0644);
  ::chmod((dir_.path() + "/secret.key").c_str(), 0640);
  auto problems = check_state_ownership(dir_.path(), me);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find(data() + " has mode 0644"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("chmod 600 " + data()), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("secret.key has mode 0640"), std::string::npos) << problems[1];
  ::chmod(data().c_str(), 0600);
  ::chmod((dir_.path() + "/secret.key").c_str(), 0600);

  StateOwner someone_else{::geteuid() + 1, "pushback"};
  problems = check_state_ownership(dir_.path(), someone_else);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("not by pushback"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("chown -R pushback: " + dir_.path()), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace pushback::state
