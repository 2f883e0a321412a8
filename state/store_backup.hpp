// Backups taken and restored by hand: `pushback state backup` and `pushback
// state restore`. An LMDB backup is one file, a compacted copy of the store
// with the secret key inside, so that it restores on any server; the Redis
// backend's backup is its admin decisions (decision_snapshots.hpp), since
// its counts are Redis's own to persist.
#pragma once

#include <cstdint>
#include <string>

#include "state/clock.hpp"
#include "state/settings.hpp"
#include "state/store.hpp"

namespace pushback::state {

enum class BackupKind { lmdb_store, decisions, unknown };

// What a file holds, by its first bytes (an LMDB meta page, or JSON).
BackupKind backup_kind_of(const std::string& path);

// A consistent compacted copy of the running store at `path` (a new file),
// with the state directory's secret key recorded in it. Returns the copy's
// size, or 0 with `error` set.
std::uint64_t backup_lmdb_store(Store& store, const std::string& path, std::string& error);

// True when another process has the LMDB store of `state_dir` open (the
// daemon holds a lock on lock.mdb while it runs).
bool lmdb_store_in_use(const std::string& state_dir);

struct RestoreReport {
  std::uint64_t records = 0;
  std::string replaced;        // where the store that was there went
  bool key_installed = false;  // the backup's secret key became the directory's
};

// Puts the backup `path` in place as the store of `settings.state_dir`.
// Refused, with `error` saying why, while another process has the store open,
// when the file is not a sound store this version reads, when a store is
// there and `replace` is false (with `replace` it is moved aside to
// data.mdb.replaced-TIME and kept), and when the directory has another
// secret key than the backup (every pair would be unreachable).
bool restore_lmdb_store(const StoreSettings& settings, const std::string& path, bool replace, TimePoint now,
                        RestoreReport& report, std::string& error);

}  // namespace pushback::state
