// Fuzz target: the configuration loader. Any bytes as a TOML file: either a
// validated configuration or errors with file, line and key, never a crash.
// A key naming a data file (phrases_file, markers_file) makes the loader read
// that file: run the fuzzer where that is harmless.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pushback::config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadResult result = load_config_text(text, "fuzz.toml");
  if (result.ok() != result.errors.empty()) __builtin_trap();  // errors and a config never come together
  for (const auto& error : result.errors) error.to_string();
  return 0;
}
