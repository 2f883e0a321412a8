// Subcommands that are not the daemon itself.
#pragma once

#include <string>
#include <vector>

namespace pushback::cli {

// `pushback check-config FILE...`: prints every error with file, line and key.
int check_config(const std::vector<std::string>& files, bool print_schema);

}  // namespace pushback::cli
