// A configuration problem, located: the file, the line and the key, so that
// an admin can go straight to it.
#pragma once

#include <cstdint>
#include <string>

namespace pushback::config {

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 0: the whole file
  std::string key;         // empty: not about one key
  std::string message;

  // "FILE:LINE: KEY: MESSAGE", the form editors and admins expect.
  std::string to_string() const;
};

}  // namespace pushback::config
