// Opening the store for the daemon without ever letting a damaged one stop
// it: the LMDB store is checked first (state/store_health.hpp); a damaged or
// unreadable one is moved aside (kept, never deleted), a fresh one is
// created and the admin decisions come back from the newest snapshot
// (state/decision_snapshots.hpp). Counts start from zero.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "state/store.hpp"
#include "state/store_health.hpp"

namespace pushback::state {

struct StoreRecovery {
  StoreHealth found;          // why the store was moved aside
  std::string damaged_copy;   // where data.mdb went
  std::string snapshot;       // the decisions snapshot restored; "" when none was found
  std::size_t allows = 0;     // allowlist entries restored
  std::size_t marks = 0;      // feedback marks restored
  std::vector<std::string> skipped_snapshots;  // unreadable snapshots passed over
  bool restore_failed = false;
};

struct CheckedStore {
  std::unique_ptr<Store> store;
  StoreHealth health;                     // as checked (absent/sound for Redis)
  std::optional<StoreRecovery> recovery;  // set when the store was moved aside
  // No data.mdb at all (deleted by hand, a new disk) but snapshots left:
  // the decisions snapshot the new store was given.
  std::string restored_snapshot;
};

// Renames STATE_DIR/data.mdb to data.mdb.damaged-YYYYMMDDTHHMMSSZ (a suffix
// -2, -3... when that exists) and removes lock.mdb, which describes the old
// file. Returns the new path, or "" with `error` set.
std::string move_store_aside(const std::string& state_dir, TimePoint now, std::string& error);

// Checks, recovers when needed, opens. Throws std::runtime_error as
// open_store() does when even a fresh store cannot be opened (a directory
// that cannot be written, a missing key file...).
CheckedStore open_checked_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock);

// One line for the log: what happened, where the damaged copy is, what was restored.
std::string describe(const StoreRecovery& recovery, const std::string& state_dir);

}  // namespace pushback::state
