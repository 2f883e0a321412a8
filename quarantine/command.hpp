// Runs an external program (postqueue, postsuper, sendmail, ...) from an
// argument vector with posix_spawn: no shell ever parses a queue id or an
// address. Output is captured up to a limit, and a program that runs too long
// is killed by its own PID.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace pushback::quarantine {

struct CommandResult {
  bool started = false;    // false: the program could not be run (see error)
  int exit_status = -1;    // the exit code; -1 when killed by a signal or not started
  std::string out;         // standard output, up to the limit
  std::string err;         // standard error, up to the limit
  bool truncated = false;  // output went over the limit and was cut
  bool timed_out = false;  // killed after the timeout
  std::string error;       // why it did not start or finish
  bool ok() const { return started && exit_status == 0 && !timed_out; }
};

struct CommandLimits {
  std::size_t max_output_bytes = 64u << 20;  // per stream; a held message body can be large
  std::chrono::seconds timeout{120};
};

// argv[0] is the program's path (absolute: PATH is not searched). `input` is
// written to the program's standard input, which is then closed.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          const CommandLimits& limits = {});

// "postsuper -d ID hold" as a log and error message shows it.
std::string describe(const std::vector<std::string>& argv);

}  // namespace pushback::quarantine
