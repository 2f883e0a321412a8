// Recovery of a damaged LMDB store at start.
#include "state/store_recovery.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "state/decision_snapshots.hpp"

namespace pushback::state {

std::string move_store_aside(const std::string& state_dir, TimePoint now, std::string& error) {
  namespace fs = std::filesystem;
  const std::string data = state_dir + "/data.mdb";
  std::string base = data + ".damaged-" +
                     fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
  std::string target = base;
  std::error_code ec;
  for (int n = 2; fs::exists(target, ec); ++n) target = base + "-" + std::to_string(n);
  if (::rename(data.c_str(), target.c_str()) != 0) {
    error = "cannot move " + data + " to " + target + ": " + std::strerror(errno);
    return {};
  }
  ::unlink((state_dir + "/lock.mdb").c_str());
  return target;
}

CheckedStore open_checked_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock) {
  CheckedStore out;
  if (settings.backend != BackendKind::lmdb) {
    out.health = {StoreCondition::sound, "kept by Redis"};
    out.store = open_store(settings, std::move(clock));
    return out;
  }
  out.health = check_lmdb_store(settings.state_dir, static_cast<std::uint32_t>(settings.bucket_width.count()),
                                std::chrono::duration_cast<std::chrono::milliseconds>(settings.verify_time_limit));
  if (out.health.condition == StoreCondition::damaged || out.health.condition == StoreCondition::incompatible) {
    StoreRecovery recovery;
    recovery.found = out.health;
    std::string error;
    recovery.damaged_copy = move_store_aside(settings.state_dir, clock->now(), error);
    if (recovery.damaged_copy.empty()) {
      throw std::runtime_error("the state store in " + settings.state_dir + " is " +
                               std::string(to_string(out.health.condition)) + " (" + out.health.detail +
                               ") and cannot be moved aside: " + error);
    }
    out.recovery = std::move(recovery);
  }
  out.store = open_store(settings, clock);
  if (out.health.condition == StoreCondition::absent) {
    if (auto snapshot = newest_decision_snapshot(settings.state_dir);
        snapshot && out.store->import_decisions(snapshot->decisions)) {
      out.restored_snapshot = snapshot->path;
    }
  }
  if (out.recovery) {
    auto& recovery = *out.recovery;
    if (auto snapshot = newest_decision_snapshot(settings.state_dir, &recovery.skipped_snapshots)) {
      recovery.snapshot = snapshot->path;
      recovery.allows = snapshot->decisions.allows.size();
      recovery.marks = snapshot->decisions.marks.size();
      recovery.restore_failed = !out.store->import_decisions(snapshot->decisions);
    }
  }
  return out;
}

std::string describe(const StoreRecovery& recovery, const std::string& state_dir) {
  std::string restored =
      recovery.snapshot.empty() ? "no snapshot of admin decisions was found, none restored"
      : recovery.restore_failed ? "restoring the admin decisions from " + recovery.snapshot + " failed"
                                : fmt::format("restored {} allowlist entries and {} feedback marks from {}",
                                              recovery.allows, recovery.marks, recovery.snapshot);
  return fmt::format("state store {} was {} ({}): moved aside to {} (kept); a fresh store was created, {}; counts start "
                     "from zero",
                     state_dir, to_string(recovery.found.condition), recovery.found.detail, recovery.damaged_copy,
                     restored);
}

}  // namespace pushback::state
