// One owner for the state: the directory and every file Pushback keeps in it
// belong to the user the daemon runs as, and are closed to other users. A
// wrong owner or mode is reported with the path and the command that fixes
// it, at start, in check-config and in `pushback state check`.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pushback::state {

struct StateOwner {
  uid_t uid = 0;
  std::string name;  // for the messages ("pushback", or the uid)
};

// One sentence per problem, each naming the path and the fix. Empty when all
// is well or the directory does not exist yet (it is created at start).
std::vector<std::string> check_state_ownership(const std::string& state_dir, const StateOwner& owner);

}  // namespace pushback::state
