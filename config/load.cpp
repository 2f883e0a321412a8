// Configuration loader: toml++ parses, the schema checks and applies.
#include "config/load.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <toml++/toml.h>

#include "config/schema.hpp"
#include "config/model_file.hpp"
#include "config/schema_parts.hpp"

namespace pushback::config {

namespace {

const KeyInfo* find_key(std::string_view path) {
  for (const auto& key : schema()) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

bool is_known_section(std::string_view path) {
  for (const auto& key : schema()) {
    if (key.path.size() > path.size() && key.path.substr(0, path.size()) == path &&
        key.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace
}  // namespace pushback::config

namespace pushback::config::detail {

// "90s", "15m", "2h", "7d", "1w", or a plain number of seconds.
std::optional<std::chrono::seconds> parse_duration_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || number < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else return std::nullopt;
  return std::chrono::seconds(number * scale);
}

}  // namespace pushback::config::detail

namespace pushback::config {
namespace {

using detail::parse_duration_text;

// Converts a TOML node to the key's kind; returns an error text on mismatch.
std::string convert(const KeyInfo& key, const toml::node& node, Value& out) {
  switch (key.kind) {
    case ValueKind::string:
      if (auto s = node.value<std::string>(); s && node.is_string()) { out = *s; return {}; }
      return "expected a string";
    case ValueKind::integer:
      if (node.is_integer()) { out = *node.value<std::int64_t>(); return {}; }
      return "expected an integer";
    case ValueKind::number:
      if (node.is_number()) { out = *node.value<double>(); return {}; }
      return "expected a number";
    case ValueKind::boolean:
      if (node.is_boolean()) { out = *node.value<bool>(); return {}; }
      return "expected true or false";
    case ValueKind::duration:
      if (node.is_integer()) {
        auto seconds = *node.value<std::int64_t>();
        if (seconds < 0) return "a duration cannot be negative";
        out = std::chrono::seconds(seconds);
        return {};
      }
      if (node.is_string()) {
        if (auto d = parse_duration_text(*node.value<std::string>())) { out = *d; return {}; }
      }
      return "expected a duration such as \"30s\", \"15m\", \"2h\" or \"7d\"";
    case ValueKind::string_list: {
      const auto* array = node.as_array();
      if (!array) return "expected a list of strings";
      std::vector<std::string> items;
      for (const auto& item : *array) {
        if (!item.is_string()) return "expected a list of strings";
        items.push_back(*item.value<std::string>());
      }
      out = std::move(items);
      return {};
    }
  }
  return "unsupported type";
}

std::string check_bounds(const KeyInfo& key, const Value& value) {
  if (!key.choices.empty()) {
    const auto& text = std::get<std::string>(value);
    for (auto choice : key.choices) {
      if (choice == text) return {};
    }
    std::string list;
    for (auto choice : key.choices) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", choice);
    return fmt::format("\"{}\" is not one of {}", text, list);
  }
  if (key.min != key.max) {
    double number = 0;
    if (auto* i = std::get_if<std::int64_t>(&value)) number = static_cast<double>(*i);
    else if (auto* d = std::get_if<double>(&value)) number = *d;
    else if (auto* s = std::get_if<std::chrono::seconds>(&value)) number = static_cast<double>(s->count());
    if (!(number >= key.min && number <= key.max)) {  // also rejects NaN
      return fmt::format("{} is outside the allowed range {} to {}", number, key.min, key.max);
    }
  }
  return key.validate ? key.validate(value) : std::string{};
}

// "127.0.0.1:9893", "[::1]:9893", "localhost:9893" are loopback.
bool is_loopback_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  void walk(const toml::table& table, const std::string& prefix) {
    for (const auto& [name, node] : table) {
      std::string path = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      std::uint32_t line = node.source().begin.line;
      if (const auto* sub = node.as_table()) {
        if (!is_known_section(path)) {
          error(line, path, "unknown section");
          continue;
        }
        walk(*sub, path);
        continue;
      }
      const KeyInfo* key = find_key(path);
      if (!key) {
        error(line, path, is_known_section(path) ? "is a section, not a key" : "unknown key");
        continue;
      }
      Value value;
      if (auto problem = convert(*key, node, value); !problem.empty()) {
        error(line, path, problem);
        continue;
      }
      if (auto problem = check_bounds(*key, value); !problem.empty()) {
        error(line, path, problem);
        continue;
      }
      key->apply(config_, value);
      lines_[path] = line;
    }
  }

  // Loads the data files the configuration names; their own errors carry
  // their own file and line.
  void load_data_files() {
    auto& analysis = config_.analysis;
    analysis.phrases_file = resolve_data_file(analysis.phrases_file, "followup_phrases.toml");
    analysis.markers_file = resolve_data_file(analysis.markers_file, "outreach_markers.toml");
    analysis.campaign_file = resolve_data_file(analysis.campaign_file, "campaign_identity.toml");
    auto phrases = load_phrase_lexicon_file(analysis.phrases_file);
    if (phrases.ok()) {
      analysis.lexicon = std::make_shared<const PhraseLexicon>(std::move(*phrases.lexicon));
    } else {
      report_data_errors(phrases.errors, "analysis.phrases_file");
    }
    auto markers = load_outreach_markers_file(analysis.markers_file);
    if (markers.ok()) {
      analysis.markers = std::make_shared<const OutreachMarkers>(std::move(*markers.markers));
    } else {
      report_data_errors(markers.errors, "analysis.markers_file");
    }
    auto campaign = load_campaign_identity_file(analysis.campaign_file);
    if (campaign.ok()) {
      analysis.campaign_identity = std::make_shared<const CampaignIdentityData>(std::move(*campaign.data));
    } else {
      report_data_errors(campaign.errors, "analysis.campaign_file");
    }
    load_model_file();
  }

  // The text model: its container is checked here, so that a truncated or
  // foreign file is a configuration error naming the file, at start, at
  // reload and in check-config.
  void load_model_file() {
    auto& analysis = config_.analysis;
    if (analysis.cold_pitch_model == "none") {
      analysis.cold_pitch_model.clear();
      return;
    }
    analysis.cold_pitch_model = resolve_data_file(analysis.cold_pitch_model, "cold_pitch.model");
    auto model = read_model_file(analysis.cold_pitch_model, cold_pitch_model_kind);
    if (model.payload) {
      analysis.cold_pitch_model_payload = std::move(model.payload);
    } else {
      error(lines_["analysis.cold_pitch_model"], "analysis.cold_pitch_model",
            fmt::format("{} {}", analysis.cold_pitch_model, model.error));
    }
  }

  // The Redis passwords: read from their files, which only the owner may
  // read; the text never goes into an error message.
  void load_secret_files() {
    auto& state = config_.state;
    if (!state.redis_password_file.empty()) {
      if (!state.redis_password.empty()) {
        error(lines_["state.redis.password_file"], "state.redis.password_file",
              "set either password_file or password, not both");
      }
      state.redis_password_file = relative_to_source(state.redis_password_file);
      read_secret(state.redis_password_file, "state.redis.password_file", state.redis_password);
    }
    if (!state.redis_sentinel_password_file.empty()) {
      state.redis_sentinel_password_file = relative_to_source(state.redis_sentinel_password_file);
      read_secret(state.redis_sentinel_password_file, "state.redis.sentinel_password_file", state.redis_sentinel_password);
    }
  }

  void read_secret(const std::string& path, const std::string& key, std::string& into) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      error(lines_[key], key, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
      return;
    }
    if (!S_ISREG(info.st_mode)) {
      error(lines_[key], key, fmt::format("{} is not a regular file", path));
      return;
    }
    if ((info.st_mode & 077) != 0) {
      error(lines_[key], key,
            fmt::format("{} may be read by others (mode {:04o}); it must be mode 0600", path, info.st_mode & 07777));
      return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      error(lines_[key], key, fmt::format("cannot read {}", path));
      return;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty() || text.find_first_of("\r\n") != std::string::npos) {
      error(lines_[key], key, fmt::format("{} must hold the password on one line", path));
      return;
    }
    into = std::move(text);
  }

  std::string relative_to_source(const std::string& configured) const {
    std::filesystem::path path(configured);
    if (path.is_relative()) path = std::filesystem::path(source_).parent_path() / path;
    return path.string();
  }

  // Checks that involve more than one key, reported at the first key's line.
  void check_across_keys() {
    const auto& state = config_.state;
    if (!state.redis_sentinels.empty() && state.redis_master_name.empty()) {
      error(lines_["state.redis.sentinels"], "state.redis.sentinels", "state.redis.master_name is needed with Sentinels");
    }
    if (!state.redis_sentinels.empty() && !state.redis_socket.empty()) {
      error(lines_["state.redis.socket"], "state.redis.socket",
            "a unix socket and Sentinels exclude each other: the Sentinels name the primary's host and port");
    }
    const auto& policy = config_.policy;
    if (!(policy.tag_threshold < policy.quarantine_threshold && policy.quarantine_threshold < policy.reject_threshold)) {
      std::string key = lines_.count("policy.quarantine_threshold") ? "policy.quarantine_threshold"
                                                                    : "policy.tag_threshold";
      if (lines_.count("policy.reject_threshold")) key = "policy.reject_threshold";
      error(lines_[key], key, "thresholds must rise: tag_threshold < quarantine_threshold < reject_threshold");
    }
    const auto& metrics = config_.metrics;
    if (metrics.enabled && !metrics.allow_non_loopback && !is_loopback_listen(metrics.listen)) {
      error(lines_["metrics.listen"], "metrics.listen",
            "\"" + metrics.listen + "\" is not a loopback address; set metrics.allow_non_loopback = true to expose "
            "the unauthenticated endpoint");
    }
    const auto& web = config_.web;
    if (!web.allow_non_loopback && !is_loopback_listen(web.listen)) {
      error(lines_["web.listen"], "web.listen",
            "\"" + web.listen + "\" is not a loopback address; set web.allow_non_loopback = true to serve the "
            "console to the network (better: keep it on loopback behind a TLS proxy)");
    }
  }

  void error(std::uint32_t line, std::string key, std::string message) {
    errors_.push_back({source_, line, std::move(key), std::move(message)});
  }

  Config& config() { return config_; }

  // A data file path: as configured (relative to the configuration file), or
  // the shipped file from the installed data directory, falling back to the
  // source tree for a build that was not installed.
  std::string resolve_data_file(const std::string& configured, const char* name) const {
    namespace fs = std::filesystem;
    if (!configured.empty()) {
      fs::path path(configured);
      if (path.is_relative()) path = fs::path(source_).parent_path() / path;
      return path.string();
    }
    for (const char* dir : {PUSHBACK_DATA_DIR, PUSHBACK_SOURCE_DATA_DIR}) {
      std::error_code ec;
      if (fs::exists(fs::path(dir) / name, ec)) return (fs::path(dir) / name).string();
    }
    return (fs::path(PUSHBACK_DATA_DIR) / name).string();
  }

  void report_data_errors(const std::vector<ConfigError>& errors, const std::string& key) {
    for (const auto& data_error : errors) {
      errors_.push_back(data_error);
      if (errors_.back().key.empty()) errors_.back().key = key;
    }
  }
  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string source_;
  Config config_;
  std::vector<ConfigError> errors_;
  std::map<std::string, std::uint32_t> lines_;  // where each key was set
};

void apply_defaults(Config& config) {
  for (const auto& key : schema()) {
    auto table = toml::parse(fmt::format("v = {}", key.default_toml));
    Value value;
    if (!convert(key, *table.get("v"), value).empty() || !check_bounds(key, value).empty()) {
      // A default that fails its own schema is a programming error.
      throw std::logic_error(fmt::format("invalid default for {}", key.path));
    }
    key.apply(config, value);
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string where = line > 0 ? fmt::format("{}:{}", file, line) : file;
  return key.empty() ? fmt::format("{}: {}", where, message) : fmt::format("{}: {}: {}", where, key, message);
}

std::shared_ptr<const Config> default_config() {
  auto result = load_config_text("", "(defaults)");
  if (!result.ok()) throw std::runtime_error("the defaults do not load: " + result.errors.front().to_string());
  return result.config;
}

LoadResult load_config_text(std::string_view text, const std::string& source_name) {
  Loader loader(source_name);
  apply_defaults(loader.config());
  loader.config().source_path = source_name;
  try {
    auto table = toml::parse(text, source_name);
    loader.walk(table, "");
    loader.check_across_keys();
    if (loader.errors().empty()) loader.load_data_files();
    if (loader.errors().empty()) loader.load_secret_files();
  } catch (const toml::parse_error& e) {
    loader.error(e.source().begin.line, "", std::string(e.description()));
  }
  LoadResult result;
  result.errors = std::move(loader.errors());
  // toml++ iterates tables in key order; admins read errors in file order.
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  if (result.errors.empty()) result.config = std::make_shared<const Config>(std::move(loader.config()));
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back({path, 0, "", "cannot be read"});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), path);
}

}  // namespace pushback::config
