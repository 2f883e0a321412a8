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

struct ReplayOptions {
  std::string config_path;
  std::vector<std::string> paths;
  bool json = false;
};

// `pushback replay`: an archive through analyse -> observe -> decide, in Date order.
int replay(const ReplayOptions& options);

struct AdminOptions {
  std::string command;  // inspect, top, forget, allow
  std::string config_path;
  std::string subject;    // sender address, or a domain for allow
  std::string recipient;  // inspect only
  std::size_t count = 20; // top only
  bool remove = false;    // allow --remove
  bool list = false;      // allow --list
  bool campaign = false;  // forget/allow --campaign: the whole campaign of an address or a brand domain
};

int admin(const AdminOptions& options);

}  // namespace pushback::cli
