// Owner and mode of the state directory and its files.
#include "state/ownership.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pushback::state {

namespace {

std::string user_name(uid_t uid) {
  const passwd* user = getpwuid(uid);
  return user ? user->pw_name : std::to_string(uid);
}

// What others may not do, per file: the key never leaves its owner; the
// store and snapshots hold sender addresses.
struct Rule {
  mode_t forbidden;
  mode_t fixed_mode;
};

void check_one(const std::string& path, const struct stat& info, const StateOwner& owner, Rule rule,
               std::vector<std::string>& problems) {
  const bool directory = S_ISDIR(info.st_mode);
  if (info.st_uid != owner.uid) {
    problems.push_back(fmt::format("{} is owned by {}, not by {} (the user Pushback runs as); fix: chown {}{}: {}",
                                   path, user_name(info.st_uid), owner.name, directory ? "-R " : "", owner.name, path));
  }
  if ((info.st_mode & rule.forbidden) != 0) {
    problems.push_back(fmt::format("{} has mode {:04o}, {}; fix: chmod {:o} {}", path, info.st_mode & 07777,
                                   directory ? "others may change what is in it" : "others may read it",
                                   rule.fixed_mode, path));
  }
}

}  // namespace

std::vector<std::string> check_state_ownership(const std::string& state_dir, const StateOwner& owner) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  struct stat info {};
  if (::stat(state_dir.c_str(), &info) != 0) {
    if (errno != ENOENT) problems.push_back(fmt::format("cannot read {}: {}", state_dir, std::strerror(errno)));
    return problems;
  }
  if (!S_ISDIR(info.st_mode)) {
    problems.push_back(fmt::format("{} (state.dir) is not a directory", state_dir));
    return problems;
  }
  check_one(state_dir, info, owner, {S_IWGRP | S_IWOTH, 0750}, problems);
  const std::string snapshots = state_dir + "/snapshots";
  struct Kept {
    std::string path;
    Rule rule;
  };
  std::vector<Kept> files = {{state_dir + "/data.mdb", {S_IRWXO, 0600}},
                             {state_dir + "/lock.mdb", {S_IWGRP | S_IWOTH, 0600}},
                             {state_dir + "/secret.key", {S_IRWXG | S_IRWXO, 0600}},
                             {snapshots, {S_IRWXG | S_IRWXO, 0700}}};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) files.push_back({entry.path().string(), {S_IRWXO, 0600}});
  for (const auto& file : files) {
    if (::lstat(file.path.c_str(), &info) != 0) continue;  // not created yet
    check_one(file.path, info, owner, file.rule, problems);
  }
  return problems;
}

}  // namespace pushback::state
