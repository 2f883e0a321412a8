// Dropping root for milter.user, shared by the daemon and the admin commands.
#include "milter/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pushback::milter {

std::optional<Account> milter_account(const config::MilterSettings& settings, std::string& error) {
  const passwd* user = getpwnam(settings.user.c_str());
  if (!user) {
    error = "user '" + settings.user + "' (milter.user) does not exist";
    return std::nullopt;
  }
  Account account{user->pw_uid, user->pw_gid};
  if (!settings.group.empty()) {
    const group* grp = getgrnam(settings.group.c_str());
    if (!grp) {
      error = "group '" + settings.group + "' (milter.group) does not exist";
      return std::nullopt;
    }
    account.gid = grp->gr_gid;
  }
  return account;
}

bool ensure_state_dir(const std::string& dir, const config::MilterSettings& settings, std::string& error,
                      bool& created) {
  created = false;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return true;
  std::filesystem::path path(dir);
  if (path.has_parent_path() && !std::filesystem::is_directory(path.parent_path(), ec)) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      error = "cannot create " + path.parent_path().string() + " (for state.dir): " + ec.message();
      return false;
    }
  }
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    error = "cannot create the state directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  ::chmod(dir.c_str(), 0750);  // whatever the umask
  if (geteuid() == 0 && !settings.user.empty()) {
    auto account = milter_account(settings, error);
    if (!account) return false;
    if (::chown(dir.c_str(), account->uid, account->gid) != 0) {
      error = "cannot hand the state directory " + dir + " to " + settings.user + ": " + std::strerror(errno);
      return false;
    }
  }
  created = true;
  return true;
}

bool switch_to_milter_user(const config::MilterSettings& settings, std::string& error) {
  if (geteuid() != 0 || settings.user.empty()) return true;
  auto account = milter_account(settings, error);
  if (!account) return false;
  if (initgroups(settings.user.c_str(), account->gid) != 0 || setgid(account->gid) != 0 ||
      setuid(account->uid) != 0) {
    error = "cannot switch to user " + settings.user + ": " + std::strerror(errno);
    return false;
  }
  if (setuid(0) == 0) {
    error = "privileges could be regained after switching to " + settings.user;
    return false;
  }
  return true;
}

std::optional<state::StateOwner> expected_state_owner(const config::MilterSettings& settings, std::string& error) {
  if (settings.user.empty()) return running_user();
  auto account = milter_account(settings, error);
  if (!account) return std::nullopt;
  return state::StateOwner{account->uid, settings.user};
}

state::StateOwner running_user() {
  const passwd* user = getpwuid(geteuid());
  return state::StateOwner{geteuid(), user ? user->pw_name : std::to_string(geteuid())};
}

bool become_state_owner(const config::Config& config, std::string& error) {
  bool created = false;
  return ensure_state_dir(config.state.dir, config.milter, error, created) &&
         switch_to_milter_user(config.milter, error);
}

ActingAsStateOwner::ActingAsStateOwner(const config::MilterSettings& settings) {
  if (geteuid() != 0 || settings.user.empty()) return;
  auto account = milter_account(settings, error_);
  if (!account) return;
  saved_gid_ = getegid();
  if (setegid(account->gid) != 0 || seteuid(account->uid) != 0) {
    error_ = "cannot act as user " + settings.user + ": " + std::strerror(errno);
    if (setegid(saved_gid_) != 0) error_ += " (and the group could not be restored)";
    return;
  }
  switched_ = true;
}

ActingAsStateOwner::~ActingAsStateOwner() {
  if (!switched_) return;
  // Back to root for the MTA's commands; failing here leaves the command
  // unprivileged, which only makes it fail, never do more.
  if (seteuid(0) == 0) (void)setegid(saved_gid_);
}

}  // namespace pushback::milter
