// Decision snapshots: JSON files written atomically (temporary name, fsync,
// rename), pruned by the date in their names.
#include "state/decision_snapshots.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "state/records.hpp"

namespace pushback::state {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view decisions_kind = "pushback admin decisions";
constexpr int decisions_version = 1;
constexpr std::string_view decisions_prefix = "decisions-";
constexpr std::string_view store_prefix = "store-";

std::int64_t seconds_of(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}
TimePoint time_of(std::int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

std::string day_of(TimePoint now) {
  return fmt::format("{:%Y-%m-%d}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

// A process running as root (the web console, for the MTA's queue) hands
// what it creates in the state directory to the directory's owner, so that
// the daemon still finds one owner for its state.
void hand_to_state_owner(const std::string& path, const std::string& state_dir) {
  struct stat owner {};
  if (::geteuid() != 0 || ::stat(state_dir.c_str(), &owner) != 0 || owner.st_uid == 0) return;
  if (::chown(path.c_str(), owner.st_uid, owner.st_gid) != 0) {
    spdlog::warn("cannot hand {} to the owner of {}: {}", path, state_dir, std::strerror(errno));
  }
}

bool ensure_directory(const std::string& dir, const std::string& state_dir, std::string& error) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) return true;
    error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  hand_to_state_owner(dir, state_dir);
  return true;
}

// Files of one kind, newest first (the date in the name sorts).
std::vector<fs::path> snapshots_of(const std::string& dir, std::string_view prefix, std::string_view suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.filename() > b.filename(); });
  return out;
}

void keep_newest(const std::string& dir, std::string_view prefix, std::string_view suffix, std::size_t kept) {
  auto files = snapshots_of(dir, prefix, suffix);
  std::error_code ec;
  for (std::size_t i = std::max<std::size_t>(kept, 1); i < files.size(); ++i) fs::remove(files[i], ec);
}

bool write_atomically(const std::string& path, const std::string& text, const std::string& state_dir,
                      std::string& error) {
  std::string temporary = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + temporary + ": " + std::strerror(errno);
    return false;
  }
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  bool ok = written == text.size() && ::fsync(fd) == 0;
  if (!ok) error = "cannot write " + temporary + ": " + std::strerror(errno);
  ::close(fd);
  if (ok) hand_to_state_owner(temporary, state_dir);
  if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + temporary + " to " + path + ": " + std::strerror(errno);
    ok = false;
  }
  if (!ok) ::unlink(temporary.c_str());
  return ok;
}

}  // namespace

std::string decisions_to_json(const AdminDecisions& decisions, TimePoint written, std::string_view backend) {
  json allows = json::array();
  for (const auto& allow : decisions.allows) {
    json item = {{"entry", allow.entry}, {"added", seconds_of(allow.added)}};
    if (allow.entry.starts_with("campaign:")) {
      item["campaign_brand"] = allow.campaign_brand;
      item["campaign_mailboxes"] = allow.campaign_mailboxes;
    }
    allows.push_back(std::move(item));
  }
  json marks = json::array();
  for (const auto& mark : decisions.marks) {
    marks.push_back(
        {{"subject", mark.subject}, {"ham", mark.ham}, {"outreach", mark.outreach}, {"touched", seconds_of(mark.touched)}});
  }
  json document = {{"kind", decisions_kind},  {"version", decisions_version}, {"written", seconds_of(written)},
                   {"backend", backend},      {"allowlist", std::move(allows)}, {"feedback", std::move(marks)}};
  return document.dump(1) + "\n";
}

std::optional<AdminDecisions> decisions_from_json(std::string_view text, std::string& error) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    error = "not JSON";
    return std::nullopt;
  }
  if (!document.is_object() || document.value("kind", "") != decisions_kind) {
    error = "not a Pushback decisions file";
    return std::nullopt;
  }
  if (document.value("version", 0) != decisions_version) {
    error = "decisions file version " + std::to_string(document.value("version", 0)) + ", this version reads " +
            std::to_string(decisions_version);
    return std::nullopt;
  }
  try {
    AdminDecisions out;
    for (const auto& item : document.at("allowlist")) {
      AllowDecision allow;
      allow.entry = item.at("entry").get<std::string>();
      allow.added = time_of(item.value("added", std::int64_t{0}));
      allow.campaign_brand = item.value("campaign_brand", "");
      allow.campaign_mailboxes = item.value("campaign_mailboxes", std::vector<std::string>{});
      if (allow.entry.empty()) throw std::runtime_error("an allowlist entry is empty");
      out.allows.push_back(std::move(allow));
    }
    for (const auto& item : document.at("feedback")) {
      FeedbackMark mark;
      mark.subject = item.at("subject").get<std::string>();
      mark.ham = item.value("ham", std::uint32_t{0});
      mark.outreach = item.value("outreach", std::uint32_t{0});
      mark.touched = time_of(item.value("touched", std::int64_t{0}));
      if (mark.subject.size() < 3 || mark.subject[1] != ':') throw std::runtime_error("a feedback subject is malformed");
      out.marks.push_back(std::move(mark));
    }
    return out;
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::string snapshot_directory(const std::string& state_dir) { return (fs::path(state_dir) / "snapshots").string(); }

std::string write_decision_snapshot(Store& store, TimePoint now, std::string& error) {
  const auto& settings = store.settings();
  auto decisions = store.export_decisions();
  if (!decisions) {
    error = "the store could not be read";
    return {};
  }
  std::string dir = snapshot_directory(settings.state_dir);
  if (!ensure_directory(dir, settings.state_dir, error)) return {};
  std::string path = dir + "/" + std::string(decisions_prefix) + day_of(now) + ".json";
  std::string backend = settings.backend == BackendKind::redis ? "redis" : "lmdb";
  if (!write_atomically(path, decisions_to_json(*decisions, now, backend), settings.state_dir, error)) return {};
  keep_newest(dir, decisions_prefix, ".json", settings.snapshots_kept);
  return path;
}

void refresh_decision_snapshot(Store& store, TimePoint now) {
  if (!store.settings().snapshot_decisions) return;
  std::string error;
  if (write_decision_snapshot(store, now, error).empty()) {
    spdlog::warn("cannot write the snapshot of admin decisions: {}", error);
  }
}

std::string write_store_snapshot(Store& store, TimePoint now, std::string& error) {
  const std::string& state_dir = store.settings().state_dir;
  std::string dir = snapshot_directory(state_dir);
  if (!ensure_directory(dir, state_dir, error)) return {};
  std::string path = dir + "/" + std::string(store_prefix) + day_of(now) + ".mdb";
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  if (!store.copy_to(path, error)) return {};
  hand_to_state_owner(path, state_dir);
  keep_newest(dir, store_prefix, ".mdb", store.settings().snapshots_kept);
  return path;
}

void take_daily_snapshots(Store& store, TimePoint now) {
  refresh_decision_snapshot(store, now);
  if (store.settings().snapshot_whole_store && store.settings().backend == BackendKind::lmdb) {
    std::string error;
    if (write_store_snapshot(store, now, error).empty()) spdlog::warn("cannot snapshot the store: {}", error);
  }
}

std::optional<DecisionSnapshot> newest_decision_snapshot(const std::string& state_dir, std::vector<std::string>* skipped) {
  for (const auto& path : snapshots_of(snapshot_directory(state_dir), decisions_prefix, ".json")) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    if (auto decisions = decisions_from_json(text.str(), error)) return DecisionSnapshot{path.string(), *decisions};
    if (skipped) skipped->push_back(path.string() + " (" + error + ")");
  }
  return std::nullopt;
}

}  // namespace pushback::state
