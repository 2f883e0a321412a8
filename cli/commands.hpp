// Subcommands that are not the daemon itself.
#pragma once

#include <string>
#include <vector>

namespace pushback::cli {

// `pushback check-config FILE...`: prints every error with file, line and key.
// A non-empty `schema_format` ("markdown" or "roff") prints the key reference first.
int check_config(const std::vector<std::string>& files, const std::string& schema_format);

struct ScanOptions {
  std::string config_path;  // empty: defaults
  std::vector<std::string> paths;
  bool json = false;
  bool explain = false;
};

// `pushback scan`: the milter's analysis over files, directories, mbox and Maildir.
int scan(const ScanOptions& options);

}  // namespace pushback::cli
