// Test support for the state library: temporary directories, a private
// redis-server on a free loopback port, and hand-built fingerprints.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "scoring/fingerprint.hpp"
#include "state/settings.hpp"

namespace pushback::state::testing {

// The backends a typed test runs against, and their names in test output.
struct LmdbBackend {
  static constexpr BackendKind kind = BackendKind::lmdb;
};
struct RedisBackend {
  static constexpr BackendKind kind = BackendKind::redis;
};
struct BackendName {
  template <typename T>
  static std::string GetName(int) {
    return T::kind == BackendKind::lmdb ? "lmdb" : "redis";
  }
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// redis-server on 127.0.0.1 at a free port, its own directory, no
// persistence; stopped by its process id.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start();  // on the same port as before
  void stop();
  std::uint16_t port() const { return port_; }
  std::string socket_path() const { return dir_.path() + "/redis.sock"; }  // it listens there too

  // A command on a fresh connection; the reply flattened to strings
  // (nested arrays are flattened too). Throws when Redis cannot be reached.
  std::vector<std::string> command(const std::vector<std::string>& args) const;
  // The number of calls of one command from INFO commandstats ("evalsha").
  std::uint64_t calls(const std::string& name) const;
  std::uint64_t total_calls() const;  // every command except INFO itself
  // Microseconds the server spent in one command (INFO commandstats "usec").
  std::uint64_t usec(const std::string& name) const;
  // A numeric field of INFO ("used_memory", "total_net_input_bytes").
  std::uint64_t info(const std::string& field) const;
  // TTL of a key in seconds: -1 without expiry, -2 when absent.
  std::int64_t ttl(const std::string& key) const;

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Commands as MONITOR sees them: a client's own commands and, marked
// " lua]", those its scripts ran.
class Monitor {
 public:
  explicit Monitor(std::uint16_t port);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  // Lines until the server has been quiet for 300 ms.
  std::vector<std::string> drain();

 private:
  void* context_ = nullptr;
};

// A fingerprint of template `seed`; `changed` of its 64 MinHash values
// differ per `variant` (so the estimated Jaccard of two variants is
// (64 - changed) / 64). Band keys come from the band's values, as LSH does.
scoring::Fingerprint fingerprint(std::uint32_t seed, std::uint32_t variant = 0, std::size_t changed = 0);

std::string read_file(const std::string& path);

// Store settings for the Redis backend on `redis`, state (the key file) in `dir`.
StoreSettings redis_settings(const TempDir& dir, const RedisServer& redis);
// The same for a Redis that is not there: a free port nothing listens on.
StoreSettings unreachable_redis_settings(const TempDir& dir);
std::uint16_t free_port();

}  // namespace pushback::state::testing
