// The one schema of the configuration: every key with its type, default, bounds
// and a line of documentation. The loader, `check-config`, the example file
// test and docs/configuration.md all come from this table.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace pushback::config {

enum class ValueKind { string, integer, number, boolean, duration, string_list };

std::string_view to_string(ValueKind kind);

using Value = std::variant<std::string, std::int64_t, double, bool, std::chrono::seconds,
                           std::vector<std::string>>;

struct KeyInfo {
  std::string_view path;           // "section.key"
  ValueKind kind;
  std::string_view default_toml;   // the default, written as a TOML value
  std::string_view doc;            // one line for the documentation
  double min = 0;                  // bounds for integer, number, duration (seconds)
  double max = 0;                  // min == max: unbounded
  std::vector<std::string_view> choices;  // allowed strings; empty: any
  // Checks what bounds and choices cannot express; returns an error text or "".
  std::function<std::string(const Value&)> validate;
  std::function<void(Config&, const Value&)> apply;
};

std::span<const KeyInfo> schema();

// Renders the schema as the Markdown table of docs/configuration.md.
std::string schema_markdown();

// Renders the schema as roff for the KEYS section of pushback.toml(5).
std::string schema_roff();

}  // namespace pushback::config
