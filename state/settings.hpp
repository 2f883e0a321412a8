// Settings of the state store as a plain struct. The configuration file is
// mapped onto it by config/; nothing here reads files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pushback::state {

enum class BackendKind { lmdb, redis };

// What observe() reports to the milter when the store cannot be used.
enum class StoreFailureAction { accept, tempfail };

// When LMDB flushes to disk. `periodic` commits without fsync and syncs on the
// maintenance timer: a process crash loses nothing committed, an OS crash or
// power loss at most the last sync interval. `commit` fsyncs every commit.
enum class Durability { periodic, commit };

// `host` may be the path of a unix socket (it starts with '/'; port unused).
struct RedisAddress {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const RedisAddress&) const = default;
};

inline bool is_unix_socket(const RedisAddress& address) { return !address.host.empty() && address.host.front() == '/'; }

struct RedisSettings {
  std::string host = "127.0.0.1";  // or a unix socket path (is_unix_socket)
  std::uint16_t port = 6379;
  // When not empty, the primary is whatever these Sentinels name for
  // master_name, and host/port are not used.
  std::vector<RedisAddress> sentinels;
  std::string master_name;
  int db = 0;
  std::string username;  // ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::string sentinel_username;
  std::string sentinel_password;  // empty: the Sentinels need no AUTH
  std::string key_prefix = "pb:";
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  // While Redis is down, a reconnect is tried at most this often; the messages
  // in between are reported unavailable at once instead of waiting.
  std::chrono::milliseconds retry_interval{1000};
  std::size_t pool_size = 4;
};

struct StoreSettings {
  BackendKind backend = BackendKind::lmdb;
  // Holds the LMDB files and the secret key file (needed by both backends;
  // servers sharing one Redis must share the key file too).
  std::string state_dir = "/var/lib/pushback";
  // Sliding windows for every count, shortest first.
  std::vector<std::chrono::seconds> windows{std::chrono::hours(24), std::chrono::hours(24 * 7),
                                            std::chrono::hours(24 * 40)};
  // Width of one count bucket: windows slide by this step.
  std::chrono::seconds bucket_width = std::chrono::hours(1);
  // A key untouched this long is deleted (pairs keep their dialogue flag until then).
  std::chrono::seconds retention = std::chrono::hours(24 * 120);
  // A second delivery of the same sender + Message-ID within this time is counted once.
  std::chrono::seconds dedup_window = std::chrono::hours(24 * 7);
  // How long a Message-ID our users sent is remembered for reply detection.
  std::chrono::seconds sent_id_retention = std::chrono::hours(24 * 120);
  // Interval of the maintenance timer: LMDB sync and one sweep step.
  std::chrono::seconds sync_interval{5};
  // Keys examined per sweep step (one write transaction each).
  std::size_t sweep_batch = 5000;
  Durability durability = Durability::periodic;
  std::uint64_t lmdb_map_size = 4ull << 30;  // bytes; the file grows sparsely up to this
  StoreFailureAction on_unavailable = StoreFailureAction::accept;
  // Distinct members counted exactly per domain or template; beyond it the
  // count saturates and is reported as such.
  std::uint32_t distinct_cap = 10000;
  // Estimated Jaccard similarity at which a fingerprint joins a template cluster.
  double template_similarity = 0.5;
  // Templates remembered per (sender, recipient) pair to link sequence steps.
  std::size_t pair_templates = 4;
  RedisSettings redis;
  // Admin decisions (allowlist, feedback) are written to
  // STATE_DIR/snapshots/ whenever they change and once a day; the newest
  // `snapshots_kept` days are kept (docs/state.md, "Recovery").
  bool snapshot_decisions = true;
  std::size_t snapshots_kept = 7;
  // Also a compacted copy of the whole LMDB store once a day.
  bool snapshot_whole_store = false;
  // How long the check of an LMDB store at start may take before the store
  // is taken for damaged (a walk that hangs).
  std::chrono::seconds verify_time_limit{60};
};

// Empty when the settings are usable, else what is wrong.
std::string validate(const StoreSettings& settings);

}  // namespace pushback::state
