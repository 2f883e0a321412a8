// Test support: temporary directories, a private redis-server, fingerprints.
#include "support.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace pushback::state::testing {

namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void flatten(const redisReply* reply, std::vector<std::string>& out) {
  if (!reply) return;
  switch (reply->type) {
    case REDIS_REPLY_ARRAY:
      for (std::size_t i = 0; i < reply->elements; ++i) flatten(reply->element[i], out);
      break;
    case REDIS_REPLY_INTEGER:
      out.push_back(std::to_string(reply->integer));
      break;
    case REDIS_REPLY_NIL:
      out.emplace_back();
      break;
    default:
      out.emplace_back(reply->str, reply->len);
  }
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pushback-state-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

RedisServer::RedisServer() : port_(free_port()) { start(); }

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  std::string port = std::to_string(port_);
  std::string log = dir_.path() + "/redis.log";
  std::string socket = socket_path();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no stray server when a test crashes
    ::execl(REDIS_SERVER, "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--dir", dir_.path().c_str(),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", log.c_str(), "--unixsocket",
            socket.c_str(), "--unixsocketperm", "700", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int attempt = 0; attempt < 500; ++attempt) {
    try {
      if (command({"PING"}) == std::vector<std::string>{"PONG"}) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not start");
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<std::string> RedisServer::command(const std::vector<std::string>& args) const {
  timeval timeout{1, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (!context || context->err) {
    if (context) redisFree(context);
    throw std::runtime_error("cannot connect to redis");
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  std::vector<std::string> out;
  flatten(reply, out);
  if (reply) freeReplyObject(reply);
  redisFree(context);
  if (!reply) throw std::runtime_error("no reply from redis");
  return out;
}

std::uint64_t RedisServer::calls(const std::string& name) const {
  auto info = command({"INFO", "commandstats"});
  std::string text = info.empty() ? std::string{} : info.front();
  std::string marker = "cmdstat_" + name + ":calls=";
  auto at = text.find(marker);
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + marker.size(), nullptr, 10);
}

std::uint64_t RedisServer::usec(const std::string& name) const {
  auto info = command({"INFO", "commandstats"});
  std::string text = info.empty() ? std::string{} : info.front();
  auto at = text.find("cmdstat_" + name + ":");
  if (at == std::string::npos) return 0;
  at = text.find("usec=", at);
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + 5, nullptr, 10);
}

std::int64_t RedisServer::ttl(const std::string& key) const {
  auto reply = command({"TTL", key});
  return reply.size() == 1 ? std::stoll(reply[0]) : -2;
}

StoreSettings redis_settings(const TempDir& dir, const RedisServer& redis) {
  StoreSettings settings;
  settings.backend = BackendKind::redis;
  settings.state_dir = dir.path();
  settings.redis.port = redis.port();
  return settings;
}

StoreSettings unreachable_redis_settings(const TempDir& dir) {
  StoreSettings settings;
  settings.backend = BackendKind::redis;
  settings.state_dir = dir.path();
  settings.redis.port = free_port();
  return settings;
}

std::uint64_t RedisServer::info(const std::string& field) const {
  auto info = command({"INFO", "all"});
  std::string text = "\n" + (info.empty() ? std::string{} : info.front());
  auto at = text.find("\n" + field + ":");
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + field.size() + 2, nullptr, 10);
}

std::uint64_t RedisServer::total_calls() const {
  auto info = command({"INFO", "commandstats"});
  std::istringstream lines(info.empty() ? std::string{} : info.front());
  std::uint64_t total = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("cmdstat_", 0) != 0 || line.rfind("cmdstat_info:", 0) == 0) continue;
    auto at = line.find("calls=");
    if (at != std::string::npos) total += std::strtoull(line.c_str() + at + 6, nullptr, 10);
  }
  return total;
}

Monitor::Monitor(std::uint16_t port) {
  timeval timeout{1, 0};
  auto* context = redisConnectWithTimeout("127.0.0.1", port, timeout);
  context_ = context;
  if (!context || context->err) throw std::runtime_error("cannot connect to redis");
  auto* reply = static_cast<redisReply*>(redisCommand(context, "MONITOR"));
  if (reply) freeReplyObject(reply);
  timeval short_wait{0, 300'000};
  redisSetTimeout(context, short_wait);
}

Monitor::~Monitor() {
  if (context_) redisFree(static_cast<redisContext*>(context_));
}

std::vector<std::string> Monitor::drain() {
  std::vector<std::string> lines;
  void* reply = nullptr;
  while (redisGetReply(static_cast<redisContext*>(context_), &reply) == REDIS_OK && reply) {
    auto* r = static_cast<redisReply*>(reply);
    if (r->type == REDIS_REPLY_STATUS) lines.emplace_back(r->str, r->len);
    freeReplyObject(r);
  }
  return lines;
}

scoring::Fingerprint fingerprint(std::uint32_t seed, std::uint32_t variant, std::size_t changed) {
  scoring::Fingerprint fp;
  fp.empty = false;
  fp.token_count = 120;
  for (std::size_t i = 0; i < scoring::minhash_size; ++i) {
    std::uint64_t base = (static_cast<std::uint64_t>(seed) << 32) | i;
    fp.minhash[i] = static_cast<std::uint32_t>(i < changed ? mix(base ^ mix(variant + 1)) : mix(base));
  }
  constexpr std::size_t rows = scoring::minhash_size / scoring::lsh_bands;
  for (std::size_t band = 0; band < scoring::lsh_bands; ++band) {
    std::uint64_t key = band;
    for (std::size_t row = 0; row < rows; ++row) key = mix(key ^ fp.minhash[band * rows + row]);
    fp.band_keys[band] = key;
  }
  fp.skeleton_hash = mix((static_cast<std::uint64_t>(seed) << 32) ^ mix(variant) ^ changed);
  return fp;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace pushback::state::testing
