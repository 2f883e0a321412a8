// Reads a TOML configuration file against the schema. Every problem is reported
// with the file, line and key; unknown keys are errors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/error.hpp"

namespace pushback::config {


struct LoadResult {
  std::shared_ptr<const Config> config;  // null when there are errors
  std::vector<ConfigError> errors;
  bool ok() const { return config != nullptr; }
};

LoadResult load_config_file(const std::string& path);
LoadResult load_config_text(std::string_view text, const std::string& source_name);

// The configuration with every key at its default.
std::shared_ptr<const Config> default_config();

}  // namespace pushback::config
