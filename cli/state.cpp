// `pushback state check|backup|restore`: the health of the store, and
// backups by hand (docs/state.md, "Recovery").
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "config/load.hpp"
#include "milter/privileges.hpp"
#include "milter/state_bridge.hpp"
#include "state/decision_snapshots.hpp"
#include "state/ownership.hpp"
#include "state/store_backup.hpp"
#include "state/store_health.hpp"

namespace pushback::cli {

namespace {

constexpr int exit_damaged = 1;
constexpr int exit_usage = 2;
constexpr int exit_config = 78;

void say_error(const std::string& command, const std::string& text) {
  std::fprintf(stderr, "pushback state %s: %s\n", command.c_str(), text.c_str());
}

std::string stamp(state::TimePoint now) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

std::unique_ptr<state::Store> open_for(const std::string& command, const state::StoreSettings& settings) {
  try {
    return state::open_store(settings, std::make_shared<state::SystemClock>());
  } catch (const std::exception& e) {
    say_error(command, std::string("cannot open the state store: ") + e.what());
    return nullptr;
  }
}

int check(const config::Config& config, const state::StoreSettings& settings) {
  int status = 0;
  std::string error;
  auto owner = milter::expected_state_owner(config.milter, error);
  if (!owner) {
    say_error("check", error);
    return exit_config;
  }
  // Owner and mode are read before the switch, so that root sees them all.
  for (const auto& problem : state::check_state_ownership(settings.state_dir, *owner)) {
    fmt::print("problem: {}\n", problem);
    status = exit_damaged;
  }
  if (!std::filesystem::is_directory(settings.state_dir)) {
    fmt::print("{}: no state directory yet (the daemon creates it at start)\n", settings.state_dir);
    return status;
  }
  if (!milter::switch_to_milter_user(config.milter, error)) {
    say_error("check", error);
    return exit_config;
  }
  if (settings.backend == state::BackendKind::lmdb) {
    auto health = state::check_lmdb_store(settings.state_dir, static_cast<std::uint32_t>(settings.bucket_width.count()),
                                          std::chrono::duration_cast<std::chrono::milliseconds>(settings.verify_time_limit));
    fmt::print("store {}/data.mdb: {}: {}\n", settings.state_dir, to_string(health.condition), health.detail);
    if (health.condition == state::StoreCondition::damaged || health.condition == state::StoreCondition::incompatible) {
      fmt::print("the daemon moves it aside (kept) and starts a fresh store with the admin decisions of the newest "
                 "snapshot at its next start: systemctl restart pushback\n");
      status = exit_damaged;
    }
  } else {
    auto store = open_for("check", settings);
    if (!store || !store->export_decisions()) {
      fmt::print("store: Redis cannot be reached\n");
      status = exit_damaged;
    } else {
      fmt::print("store: Redis answers\n");
    }
  }
  std::vector<std::string> skipped;
  auto snapshot = state::newest_decision_snapshot(settings.state_dir, &skipped);
  for (const auto& file : skipped) fmt::print("unreadable snapshot: {}\n", file);
  if (snapshot) {
    fmt::print("admin decisions: {} ({} allowlist entries, {} feedback marks)\n", snapshot->path,
               snapshot->decisions.allows.size(), snapshot->decisions.marks.size());
  } else {
    fmt::print("admin decisions: no snapshot yet\n");
  }
  return status;
}

int backup(const StateOptions& options, const config::Config& config, const state::StoreSettings& settings) {
  std::string error;
  auto now = std::chrono::system_clock::now();
  bool lmdb = settings.backend == state::BackendKind::lmdb && !options.decisions_only;
  std::string path = options.file;
  bool in_state_dir = path.empty();
  if (in_state_dir) {
    path = state::snapshot_directory(settings.state_dir) + "/" + (lmdb ? "store" : "decisions") + "-manual-" +
           stamp(now) + (lmdb ? ".mdb" : ".json");
  }
  std::unique_ptr<state::Store> store;
  {
    // The store is opened as the daemon's user; a file the admin names is
    // written as the admin (root can write where the daemon cannot).
    bool created = false;
    if (!milter::ensure_state_dir(settings.state_dir, config.milter, error, created)) {
      say_error("backup", error);
      return exit_config;
    }
    milter::ActingAsStateOwner acting(config.milter);
    if (!acting.ok()) {
      say_error("backup", acting.error());
      return exit_config;
    }
    store = open_for("backup", settings);
    if (!store) return exit_damaged;
    if (in_state_dir) std::filesystem::create_directories(state::snapshot_directory(settings.state_dir));
  }
  std::optional<milter::ActingAsStateOwner> acting;
  if (in_state_dir) acting.emplace(config.milter);
  if (lmdb) {
    std::uint64_t bytes = state::backup_lmdb_store(*store, path, error);
    if (bytes == 0) {
      say_error("backup", error);
      return exit_damaged;
    }
    fmt::print("backed up the store to {} ({} bytes; it holds the secret key: keep it as safe as {})\n", path, bytes,
               settings.state_dir);
    return 0;
  }
  auto decisions = store->export_decisions();
  if (!decisions) {
    say_error("backup", "the state store is unavailable");
    return exit_damaged;
  }
  std::ofstream out(path, std::ios::trunc);
  out << state::decisions_to_json(*decisions, now, settings.backend == state::BackendKind::redis ? "redis" : "lmdb");
  if (!out.flush()) {
    say_error("backup", "cannot write " + path);
    return exit_damaged;
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  fmt::print("backed up the admin decisions to {} ({} allowlist entries, {} feedback marks)\n", path,
             decisions->allows.size(), decisions->marks.size());
  return 0;
}

int restore(const StateOptions& options, const config::Config& config, const state::StoreSettings& settings) {
  auto kind = state::backup_kind_of(options.file);
  if (kind == state::BackupKind::unknown) {
    say_error("restore", options.file + ": neither a store backup nor a decisions file");
    return exit_usage;
  }
  // The backup is read as the admin who names it; the state is written as
  // the daemon's user.
  std::string text;
  if (kind == state::BackupKind::decisions) {
    std::ifstream in(options.file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  std::string staged = options.file;
  std::string error;
  if (kind == state::BackupKind::lmdb_store && ::geteuid() == 0 && !config.milter.user.empty()) {
    // Handed over through a private copy the daemon's user can read.
    staged = std::filesystem::temp_directory_path() / fmt::format("pushback-restore-{}.mdb", ::getpid());
    std::error_code ec;
    std::filesystem::copy_file(options.file, staged, std::filesystem::copy_options::overwrite_existing, ec);
    auto account = milter::milter_account(config.milter, error);
    if (ec || !account || ::chown(staged.c_str(), account->uid, account->gid) != 0) {
      say_error("restore", "cannot stage " + options.file + (ec ? ": " + ec.message() : error.empty() ? "" : ": " + error));
      std::filesystem::remove(staged, ec);
      return exit_damaged;
    }
  }
  struct RemoveStaged {
    std::string path;
    bool owned;
    ~RemoveStaged() {
      std::error_code ec;
      if (owned) std::filesystem::remove(path, ec);
    }
  } remove_staged{staged, staged != options.file};
  if (!milter::become_state_owner(config, error)) {
    say_error("restore", error);
    return exit_config;
  }
  if (kind == state::BackupKind::lmdb_store) {
    if (settings.backend != state::BackendKind::lmdb) {
      say_error("restore", "a store backup restores an LMDB store; the configured backend is Redis");
      return exit_usage;
    }
    state::RestoreReport report;
    if (!state::restore_lmdb_store(settings, staged, options.replace, std::chrono::system_clock::now(), report, error)) {
      say_error("restore", error);
      return exit_damaged;
    }
    fmt::print("restored {} records into {}{}{}\n", report.records, settings.state_dir,
               report.replaced.empty() ? "" : "; the store that was there is kept as " + report.replaced,
               report.key_installed ? "; the backup's secret key was installed" : "");
    return 0;
  }
  auto decisions = state::decisions_from_json(text, error);
  if (!decisions) {
    say_error("restore", options.file + ": " + error);
    return exit_usage;
  }
  auto store = open_for("restore", settings);
  if (!store) return exit_damaged;
  if (!store->import_decisions(*decisions)) {
    say_error("restore", "the state store is unavailable");
    return exit_damaged;
  }
  state::refresh_decision_snapshot(*store, std::chrono::system_clock::now());
  fmt::print("restored {} allowlist entries and {} feedback marks into the {} store\n", decisions->allows.size(),
             decisions->marks.size(), settings.backend == state::BackendKind::redis ? "Redis" : "LMDB");
  return 0;
}

}  // namespace

int state_command(const StateOptions& options) {
  auto loaded = config::load_config_file(options.config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) say_error(options.command, error.to_string());
    return exit_config;
  }
  const auto& config = *loaded.config;
  auto settings = milter::store_settings(config.state);
  if (options.command == "check") return check(config, settings);
  if (options.command == "backup") return backup(options, config, settings);
  if (options.command == "restore") return restore(options, config, settings);
  return exit_usage;
}

}  // namespace pushback::cli
