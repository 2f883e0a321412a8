// `pushback check-config`: the validation the daemon does at start-up and on
// reload, as a command an admin runs before reloading.
#include <cstdio>

#include "cli/commands.hpp"
#include "config/load.hpp"
#include "config/schema.hpp"
#include "milter/privileges.hpp"
#include "milter/state_bridge.hpp"
#include "state/ownership.hpp"
#include "state/redis_store.hpp"

namespace pushback::cli {

int check_config(const std::vector<std::string>& files, const std::string& schema_format) {
  if (!schema_format.empty()) {
    std::fputs((schema_format == "roff" ? config::schema_roff() : config::schema_markdown()).c_str(), stdout);
    if (files.empty()) return 0;
  }
  if (files.empty()) {
    std::fputs("pushback check-config: name at least one configuration file\n", stderr);
    return 2;
  }
  int status = 0;
  for (const auto& file : files) {
    auto result = config::load_config_file(file);
    for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
    if (result.ok() && result.config->state.backend == "redis") {
      // The credentials are checked by connecting: a refused password is an
      // error, an unreachable server only a warning (mail passes until it is back).
      bool refused = false;
      std::string problem = state::check_redis(milter::store_settings(result.config->state).redis, refused);
      if (refused) {
        std::fprintf(stderr, "%s: state.redis: %s\n", file.c_str(), problem.c_str());
        status = 1;
        continue;
      }
      if (!problem.empty()) std::fprintf(stderr, "%s: warning: %s\n", file.c_str(), problem.c_str());
    }
    if (result.ok()) {
      // The state directory's owner and modes, as the daemon checks them at start.
      std::string error;
      auto owner = milter::expected_state_owner(result.config->milter, error);
      std::vector<std::string> problems =
          owner ? state::check_state_ownership(result.config->state.dir, *owner) : std::vector<std::string>{error};
      for (const auto& problem : problems) std::fprintf(stderr, "%s: state.dir: %s\n", file.c_str(), problem.c_str());
      if (!problems.empty()) {
        status = 1;
        continue;
      }
      std::printf("%s: OK\n", file.c_str());
    } else {
      status = 1;
    }
  }
  return status;
}

}  // namespace pushback::cli
