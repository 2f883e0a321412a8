// Snapshots of what admins decided (allowlist, feedback marks), kept beside
// the store so that a damaged or lost store never takes them along, and
// optional daily copies of the whole LMDB store. Files live in
// STATE_DIR/snapshots/: decisions-YYYY-MM-DD.json and store-YYYY-MM-DD.mdb,
// the newest `snapshots_kept` of each (docs/state.md, "Recovery").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state/clock.hpp"
#include "state/store.hpp"

namespace pushback::state {

// The decisions as JSON (the file format of snapshots and of `pushback
// state backup` for Redis), and back. Unknown fields are ignored; a
// document that is not a decisions file is an error naming what is wrong.
std::string decisions_to_json(const AdminDecisions& decisions, TimePoint written, std::string_view backend);
std::optional<AdminDecisions> decisions_from_json(std::string_view text, std::string& error);

std::string snapshot_directory(const std::string& state_dir);

// Writes today's decisions snapshot from the store (replacing today's
// earlier one atomically) and keeps the newest settings().snapshots_kept.
// Returns the path, or "" with `error` set.
std::string write_decision_snapshot(Store& store, TimePoint now, std::string& error);

// After an admin decision changed: write_decision_snapshot() when the
// settings ask for snapshots; a failure is logged, never thrown.
void refresh_decision_snapshot(Store& store, TimePoint now);

// Today's compacted copy of the whole store, unless one exists; the newest
// snapshots_kept are kept. Returns the path ("" with `error` set).
std::string write_store_snapshot(Store& store, TimePoint now, std::string& error);

// What the maintenance timer does once a day.
void take_daily_snapshots(Store& store, TimePoint now);

struct DecisionSnapshot {
  std::string path;
  AdminDecisions decisions;
};
// The newest snapshot that reads as a decisions file; the unreadable ones
// passed over are listed in `skipped`.
std::optional<DecisionSnapshot> newest_decision_snapshot(const std::string& state_dir,
                                                         std::vector<std::string>* skipped = nullptr);

}  // namespace pushback::state
