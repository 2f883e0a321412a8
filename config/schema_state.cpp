// Keys of [state] (where counts live) and [direction] (which mail is ours).
#include <algorithm>

#include "config/schema_parts.hpp"

namespace pushback::config::detail {

namespace {

template <typename T>
const T& as(const Value& value) {
  return std::get<T>(value);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string validate_windows(const Value& value) {
  const auto& items = as<std::vector<std::string>>(value);
  if (items.empty() || items.size() > 8) return "expected 1 to 8 durations, shortest first";
  std::chrono::seconds previous{0};
  for (const auto& item : items) {
    auto parsed = parse_duration_text(item);
    if (!parsed || parsed->count() < 3600) return "\"" + item + "\" is not a duration of at least 1h";
    if (*parsed <= previous) return "windows must be listed shortest first";
    previous = *parsed;
  }
  return {};
}

// "host:port" or "[v6]:port".
std::string validate_endpoints(const Value& value) {
  for (const auto& item : as<std::vector<std::string>>(value)) {
    auto colon = item.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < item.size() &&
              item.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
              std::stol(item.substr(colon + 1).substr(0, 6)) > 0 && std::stol(item.substr(colon + 1).substr(0, 6)) <= 65535;
    if (!ok) return "\"" + item + "\" is not host:port";
  }
  return {};
}

}  // namespace

std::string validate_networks(const Value& value) {
  for (const auto& item : as<std::vector<std::string>>(value)) {
    if (!parse_network(item)) return "\"" + item + "\" is not an IP address or CIDR network";
  }
  return {};
}

std::vector<Network> networks_of(const Value& value) {
  std::vector<Network> out;
  for (const auto& item : as<std::vector<std::string>>(value)) out.push_back(*parse_network(item));
  return out;
}

std::vector<std::string> lower_list(const Value& value) {
  std::vector<std::string> out;
  for (const auto& item : as<std::vector<std::string>>(value)) out.push_back(lower(item));
  return out;
}

void add_state_keys(std::vector<KeyInfo>& keys) {
  auto add = [&keys](KeyInfo info) { keys.push_back(std::move(info)); };

  add({.path = "state.backend", .kind = ValueKind::string, .default_toml = R"("lmdb")",
       .doc = "Where counts live: lmdb (embedded, in state.dir) or redis (shared by several mail servers).",
       .choices = {"lmdb", "redis"},
       .apply = [](Config& c, const Value& v) { c.state.backend = as<std::string>(v); }});
  add({.path = "state.dir", .kind = ValueKind::string, .default_toml = R"("/var/lib/pushback")",
       .doc = "State directory: the LMDB files and the secret key that hashes internal addresses (mode 0600).",
       .apply = [](Config& c, const Value& v) { c.state.dir = as<std::string>(v); }});
  add({.path = "state.windows", .kind = ValueKind::string_list, .default_toml = R"(["1d", "7d", "40d"])",
       .doc = "Sliding windows for every count, shortest first (1 to 8 durations of at least 1h).",
       .validate = validate_windows,
       .apply = [](Config& c, const Value& v) {
         c.state.windows.clear();
         for (const auto& item : as<std::vector<std::string>>(v)) c.state.windows.push_back(*parse_duration_text(item));
       }});
  add({.path = "state.retention", .kind = ValueKind::duration, .default_toml = R"("120d")",
       .doc = "A key untouched this long is deleted (the sweep runs on the maintenance timer).",
       .min = 3600, .max = 3650.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.state.retention = as<std::chrono::seconds>(v); }});
  add({.path = "state.dedup_window", .kind = ValueKind::duration, .default_toml = R"("7d")",
       .doc = "A second delivery of the same sender and Message-ID within this time is counted once.",
       .min = 60, .max = 365.0 * 86400,
       .apply = [](Config& c, const Value& v) { c.state.dedup_window = as<std::chrono::seconds>(v); }});
  add({.path = "state.sync_interval", .kind = ValueKind::duration, .default_toml = R"("5s")",
       .doc = "Maintenance timer: LMDB sync (what an OS crash can lose at most) and one retention sweep step.",
       .min = 1, .max = 3600,
       .apply = [](Config& c, const Value& v) { c.state.sync_interval = as<std::chrono::seconds>(v); }});
  add({.path = "state.durability", .kind = ValueKind::string, .default_toml = R"("periodic")",
       .doc = "periodic: sync on the timer (a crash of pushback loses nothing); commit: fsync every message.",
       .choices = {"periodic", "commit"},
       .apply = [](Config& c, const Value& v) { c.state.durability = as<std::string>(v); }});
  add({.path = "state.map_size", .kind = ValueKind::integer, .default_toml = "4294967296",
       .doc = "Largest size of the LMDB file in bytes; it grows sparsely up to this.",
       .min = 16.0 * 1024 * 1024, .max = 1024.0 * 1024 * 1024 * 1024,
       .apply = [](Config& c, const Value& v) { c.state.map_size = as<std::int64_t>(v); }});
  add({.path = "state.snapshots_kept", .kind = ValueKind::integer, .default_toml = "7",
       .doc = "Days of snapshots kept in state.dir/snapshots: the admin decisions (allowlist, feedback), rewritten "
              "on every change, and with state.snapshot_whole_store a copy of the store.",
       .min = 1, .max = 366,
       .apply = [](Config& c, const Value& v) { c.state.snapshots_kept = as<std::int64_t>(v); }});
  add({.path = "state.snapshot_whole_store", .kind = ValueKind::boolean, .default_toml = "false",
       .doc = "Also keep a compacted copy of the whole LMDB store once a day (taken while the daemon runs).",
       .apply = [](Config& c, const Value& v) { c.state.snapshot_whole_store = as<bool>(v); }});
  add({.path = "state.verify_time_limit", .kind = ValueKind::duration, .default_toml = R"("60s")",
       .doc = "The LMDB store is read through at start in a child process; one that takes longer is taken for "
              "damaged and moved aside.",
       .min = 1, .max = 3600,
       .apply = [](Config& c, const Value& v) { c.state.verify_time_limit = as<std::chrono::seconds>(v); }});
  add({.path = "state.on_unavailable", .kind = ValueKind::string, .default_toml = R"("accept")",
       .doc = "When the store cannot be reached: accept the message unjudged, or tempfail it (451 4.7.1).",
       .choices = {"accept", "tempfail"},
       .apply = [](Config& c, const Value& v) {
         c.state.on_unavailable = as<std::string>(v) == "tempfail" ? FailureAction::tempfail : FailureAction::accept;
       }});
  add({.path = "state.template_similarity", .kind = ValueKind::number, .default_toml = "0.5",
       .doc = "Estimated Jaccard similarity at which a message joins an existing template cluster.",
       .min = 0.05, .max = 1,
       .apply = [](Config& c, const Value& v) { c.state.template_similarity = as<double>(v); }});
  add({.path = "state.redis.host", .kind = ValueKind::string, .default_toml = R"("127.0.0.1")",
       .doc = "Redis server for state.backend = \"redis\".",
       .apply = [](Config& c, const Value& v) { c.state.redis_host = as<std::string>(v); }});
  add({.path = "state.redis.port", .kind = ValueKind::integer, .default_toml = "6379", .doc = "Redis port.",
       .min = 1, .max = 65535, .apply = [](Config& c, const Value& v) { c.state.redis_port = as<std::int64_t>(v); }});
  add({.path = "state.redis.socket", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Unix socket of a Redis on this host (an absolute path); when set, host and port are not used.",
       .validate = [](const Value& v) -> std::string {
         const auto& path = as<std::string>(v);
         return path.empty() || path.front() == '/' ? std::string{} : "\"" + path + "\" is not an absolute path";
       },
       .apply = [](Config& c, const Value& v) { c.state.redis_socket = as<std::string>(v); }});
  add({.path = "state.redis.db", .kind = ValueKind::integer, .default_toml = "0", .doc = "Redis database number.",
       .min = 0, .max = 1000, .apply = [](Config& c, const Value& v) { c.state.redis_db = as<std::int64_t>(v); }});
  add({.path = "state.redis.sentinels", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Redis Sentinels as \"host:port\"; when set, the primary is the one they name for master_name "
              "(host and port are then not used) and a failover is followed.",
       .validate = validate_endpoints,
       .apply = [](Config& c, const Value& v) { c.state.redis_sentinels = as<std::vector<std::string>>(v); }});
  add({.path = "state.redis.master_name", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "The master name the Sentinels monitor (needed with state.redis.sentinels).",
       .apply = [](Config& c, const Value& v) { c.state.redis_master_name = as<std::string>(v); }});
  add({.path = "state.redis.username", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Redis ACL user; empty authenticates with the password alone (the default user).",
       .apply = [](Config& c, const Value& v) { c.state.redis_username = as<std::string>(v); }});
  add({.path = "state.redis.password_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "File holding the Redis password (mode 0600, one line); empty sends no AUTH.",
       .apply = [](Config& c, const Value& v) { c.state.redis_password_file = as<std::string>(v); }});
  add({.path = "state.redis.password", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "Redis password written in the configuration itself; prefer password_file.",
       .apply = [](Config& c, const Value& v) { c.state.redis_password = as<std::string>(v); }});
  add({.path = "state.redis.sentinel_username", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "ACL user for the Sentinels; empty authenticates with the password alone.",
       .apply = [](Config& c, const Value& v) { c.state.redis_sentinel_username = as<std::string>(v); }});
  add({.path = "state.redis.sentinel_password_file", .kind = ValueKind::string, .default_toml = R"("")",
       .doc = "File holding the Sentinels' password (mode 0600, one line); empty: the Sentinels need no AUTH.",
       .apply = [](Config& c, const Value& v) { c.state.redis_sentinel_password_file = as<std::string>(v); }});
  add({.path = "state.redis.key_prefix", .kind = ValueKind::string, .default_toml = R"("pb:")",
       .doc = "Prefix of every Redis key, so that one Redis can serve several installations.",
       .apply = [](Config& c, const Value& v) { c.state.redis_key_prefix = as<std::string>(v); }});
  add({.path = "state.redis.connect_timeout_ms", .kind = ValueKind::integer, .default_toml = "200",
       .doc = "Milliseconds to wait for a Redis connection.", .min = 10, .max = 10000,
       .apply = [](Config& c, const Value& v) { c.state.redis_connect_timeout_ms = as<std::int64_t>(v); }});
  add({.path = "state.redis.command_timeout_ms", .kind = ValueKind::integer, .default_toml = "200",
       .doc = "Milliseconds to wait for Redis to answer one message's update.", .min = 10, .max = 10000,
       .apply = [](Config& c, const Value& v) { c.state.redis_command_timeout_ms = as<std::int64_t>(v); }});
  add({.path = "state.redis.pool_size", .kind = ValueKind::integer, .default_toml = "4",
       .doc = "Redis connections kept open.", .min = 1, .max = 256,
       .apply = [](Config& c, const Value& v) { c.state.redis_pool_size = as<std::int64_t>(v); }});

  add({.path = "direction.internal_domains", .kind = ValueKind::string_list, .default_toml = "[]",
       .doc = "Our own mail domains: mail from them by an authenticated or trusted client is outbound.",
       .apply = [](Config& c, const Value& v) { c.direction.internal_domains = lower_list(v); }});
  add({.path = "direction.trusted_networks", .kind = ValueKind::string_list, .default_toml = R"(["127.0.0.0/8", "::1"])",
       .doc = "Clients whose mail from an internal domain is outbound without authentication (CIDR).",
       .validate = validate_networks,
       .apply = [](Config& c, const Value& v) { c.direction.trusted_networks = networks_of(v); }});
  add({.path = "direction.authenticated_is_outbound", .kind = ValueKind::boolean, .default_toml = "true",
       .doc = "Mail from an internal domain sent by an authenticated client ({auth_authen}) is outbound.",
       .apply = [](Config& c, const Value& v) { c.direction.authenticated_is_outbound = as<bool>(v); }});
}

}  // namespace pushback::config::detail
