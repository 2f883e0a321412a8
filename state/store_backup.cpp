// LMDB backups: copy, key, check, put in place.
#include "state/store_backup.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "state/keyed_hash.hpp"
#include "state/records.hpp"
#include "state/store_health.hpp"

namespace pushback::state {

namespace {

namespace fs = std::filesystem;
using Key = std::array<std::uint8_t, secret_key_size>;

constexpr std::uint32_t lmdb_magic = 0xBEEFC0DE;
// Where a backup carries the key: a meta record no store ever keeps.
const std::string backup_key_record = detail::make_key(detail::key_meta, "backup:secret_key");

std::string lmdb_text(int rc) { return mdb_strerror(rc); }

// Opens one data file (not a directory) for a short write or read.
struct FileEnvironment {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  int rc = 0;
  FileEnvironment(const std::string& path, bool write) {
    rc = mdb_env_create(&env);
    if (rc == 0) rc = mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOLOCK | (write ? 0 : MDB_RDONLY), 0600);
    if (rc == 0) rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
  }
  ~FileEnvironment() {
    if (txn) mdb_txn_abort(txn);
    if (env) mdb_env_close(env);
  }
  int commit() {
    int result = mdb_txn_commit(txn);
    txn = nullptr;
    return result;
  }
};

}  // namespace

BackupKind backup_kind_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[24] = {};
  in.read(head, sizeof head);
  if (in.gcount() >= 20) {
    std::uint32_t magic = 0;
    std::memcpy(&magic, head + 16, sizeof magic);  // after the meta page's header
    if (magic == lmdb_magic) return BackupKind::lmdb_store;
  }
  for (std::streamsize i = 0; i < in.gcount(); ++i) {
    if (head[i] == '{') return BackupKind::decisions;
    if (!std::isspace(static_cast<unsigned char>(head[i]))) break;
  }
  return BackupKind::unknown;
}

std::uint64_t backup_lmdb_store(Store& store, const std::string& path, std::string& error) {
  Key key{};
  try {
    if (!read_secret_key(store.settings().state_dir, key)) {
      error = "the state directory has no secret key";
      return 0;
    }
  } catch (const std::exception& e) {
    error = e.what();
    return 0;
  }
  if (!store.copy_to(path, error)) return 0;
  {
    FileEnvironment copy(path, true);
    MDB_val name{backup_key_record.size(), const_cast<char*>(backup_key_record.data())};
    MDB_val value{key.size(), key.data()};
    int rc = copy.rc;
    if (rc == 0) rc = mdb_put(copy.txn, copy.dbi, &name, &value, 0);
    if (rc == 0) rc = copy.commit();
    if (rc == 0) rc = mdb_env_sync(copy.env, 1);
    if (rc != 0) {
      error = "cannot record the key in " + path + ": " + lmdb_text(rc);
      ::unlink(path.c_str());
      return 0;
    }
  }
  std::error_code ec;
  return fs::file_size(path, ec);
}

bool lmdb_store_in_use(const std::string& state_dir) {
  int fd = ::open((state_dir + "/lock.mdb").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  // Every process with the store open holds a shared lock on the lock
  // file's first byte; an exclusive one is granted only when none does.
  lock.l_start = 0;
  lock.l_len = 1;
  // An open-file-description lock conflicts with the classic locks LMDB
  // takes, even those of this very process.
  bool in_use = ::fcntl(fd, F_OFD_SETLK, &lock) != 0;
  ::close(fd);  // also drops the lock, if it was taken
  return in_use;
}

bool restore_lmdb_store(const StoreSettings& settings, const std::string& path, bool replace, TimePoint now,
                        RestoreReport& report, std::string& error) {
  const std::string& dir = settings.state_dir;
  const std::string data = dir + "/data.mdb";
  std::error_code ec;
  if (lmdb_store_in_use(dir)) {
    error = "the store in " + dir + " is open in another process: stop the daemon first (systemctl stop pushback)";
    return false;
  }
  if (fs::exists(data, ec) && !replace) {
    error = data + " exists: add --replace to move it aside (it is kept) and restore in its place";
    return false;
  }
  // Checked as a copy beside the store, so that the final rename is atomic.
  const std::string staging = dir + "/restore." + std::to_string(::getpid());
  fs::remove_all(staging, ec);
  fs::create_directory(staging, ec);
  if (ec) {
    error = "cannot create " + staging + ": " + ec.message();
    return false;
  }
  auto cleanup = [&] { fs::remove_all(staging, ec); };
  fs::copy_file(path, staging + "/data.mdb", ec);
  if (ec) {
    error = "cannot copy " + path + ": " + ec.message();
    cleanup();
    return false;
  }
  ::chmod((staging + "/data.mdb").c_str(), 0600);
  auto health = check_lmdb_store(staging, static_cast<std::uint32_t>(settings.bucket_width.count()),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(settings.verify_time_limit));
  if (health.condition != StoreCondition::sound) {
    error = fmt::format("{} is not a store this version can restore: {} ({})", path, to_string(health.condition),
                        health.detail);
    cleanup();
    return false;
  }
  report.records = health.records;
  std::optional<Key> backup_key;
  {
    FileEnvironment copy(staging + "/data.mdb", true);
    MDB_val name{backup_key_record.size(), const_cast<char*>(backup_key_record.data())};
    MDB_val value{};
    int rc = copy.rc;
    if (rc == 0) rc = mdb_get(copy.txn, copy.dbi, &name, &value);
    if (rc == 0 && value.mv_size == secret_key_size) {
      backup_key.emplace();
      std::memcpy(backup_key->data(), value.mv_data, secret_key_size);
      rc = mdb_del(copy.txn, copy.dbi, &name, nullptr);
      if (rc == 0) rc = copy.commit();
    } else if (rc == MDB_NOTFOUND) {
      rc = 0;  // a daily snapshot: it belongs with this directory's key
    }
    if (rc != 0) {
      error = "cannot read " + path + ": " + lmdb_text(rc);
      cleanup();
      return false;
    }
  }
  Key current{};
  bool has_key = false;
  try {
    has_key = read_secret_key(dir, current);
  } catch (const std::exception& e) {
    error = e.what();
    cleanup();
    return false;
  }
  if (backup_key && has_key && current != *backup_key) {
    error = "the backup was written with another secret key than " + dir +
            "/secret.key: restored here, no pair would be found again; move that key file away to take the "
            "backup's";
    cleanup();
    return false;
  }
  if (!backup_key && !has_key) {
    error = path + " carries no secret key and " + dir + " has none: copy the secret.key of the server it came from";
    cleanup();
    return false;
  }
  if (fs::exists(data, ec)) {
    report.replaced = data + ".replaced-" +
                      fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
    if (::rename(data.c_str(), report.replaced.c_str()) != 0) {
      error = "cannot move " + data + " aside: " + std::strerror(errno);
      cleanup();
      return false;
    }
  }
  if (backup_key && !has_key) {
    try {
      report.key_installed = install_secret_key(dir, *backup_key);
    } catch (const std::exception& e) {
      error = e.what();
      cleanup();
      return false;
    }
  }
  if (::rename((staging + "/data.mdb").c_str(), data.c_str()) != 0) {
    error = "cannot put the restored store in place: " + std::string(std::strerror(errno));
    cleanup();
    return false;
  }
  ::unlink((dir + "/lock.mdb").c_str());
  cleanup();
  return true;
}

}  // namespace pushback::state
