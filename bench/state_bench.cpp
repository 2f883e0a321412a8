// State store figures: observe() and peek() per second on both backends,
// bytes per tracked (sender, recipient) pair in LMDB, Redis round trips per
// message. Traffic: outreach-shaped, one recipient per message.
#include <benchmark/benchmark.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "state/store.hpp"
#include "support.hpp"

namespace pushback::state {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t senders = 2000;
constexpr std::uint32_t users = 20000;
constexpr std::uint32_t templates = 200;

struct Backend {
  testing::TempDir dir;
  std::unique_ptr<testing::RedisServer> redis;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::unique_ptr<Store> store;

  explicit Backend(BackendKind kind) {
    StoreSettings settings;
    settings.backend = kind;
    settings.state_dir = dir.path();
    if (kind == BackendKind::redis) {
      redis = std::make_unique<testing::RedisServer>();
      settings.redis.port = redis->port();
    }
    store = open_store(settings, clock);
  }
};

std::string sender_of(std::uint64_t n) { return "rep" + std::to_string(n % senders) + "@vendor" + std::to_string(n % senders / 10) + ".example"; }
std::string user_of(std::uint64_t n) { return "user" + std::to_string(n % users) + "@corp.example"; }

Observation message(std::uint64_t n) {
  Observation observation;
  observation.sender = sender_of(n * 7919);
  observation.recipients = {user_of(n * 104729)};
  observation.message_id = std::to_string(n) + "@bench.example";
  observation.fingerprint = testing::fingerprint(static_cast<std::uint32_t>(n % templates), static_cast<std::uint32_t>(n), 6);
  return observation;
}

void observe(benchmark::State& state, BackendKind kind) {
  Backend backend(kind);
  std::uint64_t n = 0;
  std::uint64_t evalsha_before = backend.redis ? backend.redis->calls("evalsha") : 0;
  for (auto _ : state) {
    backend.clock->advance(1s);
    History history = backend.store->observe(message(n++));
    if (history.outcome != Outcome::counted) state.SkipWithError("observe failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (backend.redis) {
    state.counters["evalsha_per_message"] =
        static_cast<double>(backend.redis->calls("evalsha") - evalsha_before) / static_cast<double>(n);
  }
}

void peek(benchmark::State& state, BackendKind kind) {
  Backend backend(kind);
  for (std::uint64_t n = 0; n < 5000; ++n) backend.store->observe(message(n));
  std::uint64_t n = 0;
  for (auto _ : state) {
    Observation sample = message(n++ % 5000);
    benchmark::DoNotOptimize(backend.store->peek(sample.sender, sample.recipients[0]));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ObserveLmdb(benchmark::State& state) { observe(state, BackendKind::lmdb); }
void BM_ObserveRedis(benchmark::State& state) { observe(state, BackendKind::redis); }
void BM_PeekLmdb(benchmark::State& state) { peek(state, BackendKind::lmdb); }
void BM_PeekRedis(benchmark::State& state) { peek(state, BackendKind::redis); }
// Wall time: for Redis most of the work happens in the server process.
BENCHMARK(BM_ObserveLmdb)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ObserveRedis)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PeekLmdb)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PeekRedis)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Commands the Redis server receives from the client per message, by MONITOR.
void BM_RedisRoundTrips(benchmark::State& state) {
  Backend backend(BackendKind::redis);
  backend.store->observe(message(0));
  for (auto _ : state) {
    testing::Monitor monitor(backend.redis->port());
    constexpr int messages = 200;
    for (int n = 1; n <= messages; ++n) backend.store->observe(message(static_cast<std::uint64_t>(n)));
    double client = 0;
    double script = 0;
    for (const auto& line : monitor.drain()) (line.find(" lua]") != std::string::npos ? script : client) += 1;
    state.counters["round_trips_per_message"] = client / messages;
    state.counters["script_commands_per_message"] = script / messages;
  }
}
BENCHMARK(BM_RedisRoundTrips)->Iterations(1)->Unit(benchmark::kMillisecond);

// Fills the LMDB store with N pairs: senders of 100 recipients each, every
// pair a first step and a follow-up some days later (templates per step,
// personalised per recipient), over 30 days; then measures the file.
void BM_LmdbBytesPerPair(benchmark::State& state) {
  const auto pairs = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    Backend backend(BackendKind::lmdb);
    const std::uint64_t per_sender = 100;
    const std::uint64_t sender_count = pairs / per_sender;
    const auto step = std::chrono::duration_cast<std::chrono::system_clock::duration>(30 * 24h) / (2 * pairs);
    std::uint64_t n = 0;
    for (std::uint32_t sequence_step = 0; sequence_step < 2; ++sequence_step) {
      for (std::uint64_t s = 0; s < sender_count; ++s) {
        for (std::uint64_t k = 0; k < per_sender; ++k) {
          Observation observation;
          observation.sender = "rep" + std::to_string(s) + "@vendor" + std::to_string(s / 10) + ".example";
          observation.recipients = {"user" + std::to_string((s * per_sender + k) % 1'000'003) + "@corp.example"};
          observation.message_id = std::to_string(n) + "@bench.example";
          observation.fingerprint =
              testing::fingerprint(static_cast<std::uint32_t>(s * 2 + sequence_step), static_cast<std::uint32_t>(k), 6);
          backend.clock->advance(step);
          if (backend.store->observe(observation).outcome != Outcome::counted) state.SkipWithError("observe failed");
          ++n;
        }
      }
    }
    backend.store->maintain();
    backend.store.reset();
    MDB_env* env = nullptr;
    mdb_env_create(&env);
    mdb_env_open(env, backend.dir.path().c_str(), MDB_RDONLY, 0600);
    MDB_stat stat{};
    MDB_envinfo info{};
    mdb_env_stat(env, &stat);
    mdb_env_info(env, &info);
    mdb_env_close(env);
    struct stat file {};
    ::stat((backend.dir.path() + "/data.mdb").c_str(), &file);
    double tree_bytes = static_cast<double>((stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * stat.ms_psize);
    state.counters["pairs"] = static_cast<double>(pairs);
    state.counters["entries"] = static_cast<double>(stat.ms_entries);
    state.counters["tree_bytes_per_pair"] = tree_bytes / static_cast<double>(pairs);
    state.counters["file_bytes_per_pair"] = static_cast<double>(file.st_size) / static_cast<double>(pairs);
    state.counters["used_bytes_per_pair"] =
        static_cast<double>((info.me_last_pgno + 1) * stat.ms_psize) / static_cast<double>(pairs);
    state.counters["messages"] = static_cast<double>(n);
  }
}
BENCHMARK(BM_LmdbBytesPerPair)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_LmdbBytesPerPair)->Name("BM_LmdbBytesPerPair_10M")->Arg(10'000'000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace pushback::state

BENCHMARK_MAIN();
