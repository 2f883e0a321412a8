// `pushback quarantine ...` and `pushback feedback ...`: reviewing what
// Pushback held and teaching the state from every decision.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pushback::cli {

struct QuarantineOptions {
  std::string command;  // list, show, release, delete, expire, digest
  std::string config_path;
  std::vector<std::string> ids;
  bool json = false;
  std::string recipient;   // list: only messages held for this recipient
  std::string sender;      // list: only from this sender
  std::string older_than;  // list, expire: a duration ("3d")
  bool body = false;       // show: the body too
  std::string reason;      // release, delete: logged with who did it
  bool no_feedback = false;
  bool dry_run = false;  // expire: say what would be done
  bool send = false;     // digest: send instead of printing
};

int quarantine(const QuarantineOptions& options);

struct FeedbackOptions {
  std::string config_path;
  bool ham = false;
  bool outreach = false;
  std::string recipient;           // our user who reported it (a login without '@' is ignored)
  std::vector<std::string> items;  // message files ("-" is standard input) or held queue ids
};

int feedback(const FeedbackOptions& options);

}  // namespace pushback::cli
