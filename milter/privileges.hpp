// Who the process runs as. The daemon and every command that opens the
// state switch to milter.user before they create or open anything, so that
// the state directory has one owner however it was first touched.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config/config.hpp"
#include "state/ownership.hpp"

namespace pushback::milter {

// milter.user's uid and milter.group's gid (the user's own group when none).
struct Account {
  uid_t uid;
  gid_t gid;
};

// The account, or nothing with `error` set when the user or group is missing.
std::optional<Account> milter_account(const config::MilterSettings& settings, std::string& error);

// Creates a missing state directory as the package does: mode 0750, owned by
// milter.user when run as root. An existing directory is left as it is.
// Returns false with `error` set.
bool ensure_state_dir(const std::string& dir, const config::MilterSettings& settings, std::string& error,
                      bool& created);

// As root with milter.user set: switch to that user for good (also when the
// switch could be undone, which is refused). Otherwise nothing. Returns false
// with `error` set.
bool switch_to_milter_user(const config::MilterSettings& settings, std::string& error);

// Who must own the state as the configuration says: milter.user when one is
// set, else the user running (for check-config and `state check`, whoever
// runs them). Nothing, with `error` set, when milter.user does not exist.
std::optional<state::StateOwner> expected_state_owner(const config::MilterSettings& settings, std::string& error);
// The user this process runs as: the owner the daemon needs once it has
// switched (or when systemd started it as its user).
state::StateOwner running_user();

// For commands: the state directory ensured, then the switch. Prints nothing.
bool become_state_owner(const config::Config& config, std::string& error);

// For commands that need root for something else (the MTA's queue): while
// alive, the effective user and group are milter.user's, so that whatever
// the store creates is the daemon's. Nothing when not root or no user is set.
class ActingAsStateOwner {
 public:
  explicit ActingAsStateOwner(const config::MilterSettings& settings);
  ~ActingAsStateOwner();
  ActingAsStateOwner(const ActingAsStateOwner&) = delete;
  ActingAsStateOwner& operator=(const ActingAsStateOwner&) = delete;
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool switched_ = false;
  gid_t saved_gid_ = 0;
  std::string error_;
};

}  // namespace pushback::milter
