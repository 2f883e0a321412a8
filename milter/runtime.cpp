// Building a Runtime: configuration, data files, compiled matchers.
#include "milter/runtime.hpp"

#include "config/load.hpp"

namespace pushback::milter {

RuntimeLoad make_runtime(std::shared_ptr<const config::Config> config) {
  RuntimeLoad result;
  auto built = scoring::Analyzer::build(*config);
  if (!built.ok()) {
    result.errors = std::move(built.errors);
    return result;
  }
  result.runtime = std::make_shared<const Runtime>(Runtime{std::move(config), std::move(built.analyzer)});
  return result;
}

RuntimeLoad load_runtime(const std::string& config_path, const std::optional<std::string>& socket_override) {
  auto loaded = config::load_config_file(config_path);
  RuntimeLoad result;
  for (const auto& error : loaded.errors) result.errors.push_back(error.to_string());
  if (!loaded.ok()) return result;
  auto config = loaded.config;
  if (socket_override) {
    std::string error;
    auto spec = config::parse_socket_spec(*socket_override, error);
    if (!spec) {
      result.errors.push_back("--socket: " + error);
      return result;
    }
    auto patched = std::make_shared<config::Config>(*config);
    patched->milter.socket = *spec;
    config = patched;
  }
  return make_runtime(std::move(config));
}

}  // namespace pushback::milter
