// State store figures: observe() and peek() per second on both backends,
// bytes per tracked (sender, recipient) pair in LMDB, Redis round trips per
// message. Traffic: outreach-shaped, one recipient per message.
#include <benchmark/benchmark.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "state/store.hpp"
#include "state/store_health.hpp"
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

  explicit Backend(BackendKind kind, std::uint64_t map_size = 0) {
    StoreSettings settings;
    settings.backend = kind;
    if (map_size != 0) settings.lmdb_map_size = map_size;
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

// What a message tells about its campaign: the brand of the sender's domain
// and the rep's display name (each rep writes as one person).
scoring::CampaignEvidence evidence_of(std::uint64_t sender, std::uint64_t domain) {
  scoring::CampaignEvidence evidence;
  evidence.sender.brand = "vendor" + std::to_string(domain);
  evidence.items = {{scoring::EvidenceKind::brand, evidence.sender.brand},
                    {scoring::EvidenceKind::display_name, "rep " + std::to_string(sender)}};
  return evidence;
}

Observation message(std::uint64_t n) {
  Observation observation;
  observation.sender = sender_of(n * 7919);
  observation.recipients = {user_of(n * 104729)};
  observation.message_id = std::to_string(n) + "@bench.example";
  observation.fingerprint = testing::fingerprint(static_cast<std::uint32_t>(n % templates), static_cast<std::uint32_t>(n), 6);
  const std::uint64_t s = n * 7919 % senders;
  observation.campaign = evidence_of(s, s / 10);
  return observation;
}

// The end-to-end bench's traffic: one sender, one template, a new recipient
// for every message.
Observation one_sender_message(std::uint64_t n) {
  Observation observation;
  observation.sender = "outreach@vendor.example";
  observation.recipients = {"staff" + std::to_string(n) + "@pushback-test.example"};
  observation.message_id = std::to_string(n) + "@bench.example";
  observation.fingerprint = testing::fingerprint(1, static_cast<std::uint32_t>(n), 0);
  return observation;
}

void observe(benchmark::State& state, BackendKind kind, Observation (*make)(std::uint64_t) = message) {
  Backend backend(kind);
  std::uint64_t n = 0;
  std::uint64_t evalsha_before = backend.redis ? backend.redis->calls("evalsha") : 0;
  std::uint64_t usec_before = backend.redis ? backend.redis->usec("evalsha") : 0;
  std::uint64_t in_before = backend.redis ? backend.redis->info("total_net_input_bytes") : 0;
  std::uint64_t out_before = backend.redis ? backend.redis->info("total_net_output_bytes") : 0;
  for (auto _ : state) {
    backend.clock->advance(1s);
    History history = backend.store->observe(make(n++));
    if (history.outcome != Outcome::counted) state.SkipWithError("observe failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (backend.redis) {
    auto per_message = [n](std::uint64_t value) { return static_cast<double>(value) / static_cast<double>(n); };
    state.counters["evalsha_per_message"] = per_message(backend.redis->calls("evalsha") - evalsha_before);
    // Time inside the server (the script) and bytes on the wire, per message.
    state.counters["server_us_per_message"] = per_message(backend.redis->usec("evalsha") - usec_before);
    state.counters["bytes_to_redis"] = per_message(backend.redis->info("total_net_input_bytes") - in_before);
    state.counters["bytes_from_redis"] = per_message(backend.redis->info("total_net_output_bytes") - out_before);
  }
}

// A sender and its domain busy for the whole longest window (a message to a
// new recipient every hour for 40 days) before the timed messages: the cost
// of an owner with a full series, not of a fresh one.
void observe_busy(benchmark::State& state, BackendKind kind) {
  Backend backend(kind);
  std::uint64_t n = 0;
  for (; n < 40 * 24; ++n) {
    backend.clock->advance(1h);
    backend.store->observe(one_sender_message(n));
  }
  std::uint64_t usec_before = backend.redis ? backend.redis->usec("evalsha") : 0;
  std::uint64_t calls_before = backend.redis ? backend.redis->calls("evalsha") : 0;
  for (auto _ : state) {
    backend.clock->advance(1s);
    if (backend.store->observe(one_sender_message(n++)).outcome != Outcome::counted) state.SkipWithError("observe failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (backend.redis) {
    auto calls = static_cast<double>(backend.redis->calls("evalsha") - calls_before);
    state.counters["server_us_per_message"] = static_cast<double>(backend.redis->usec("evalsha") - usec_before) / calls;
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
void BM_ObserveRedisOneSender(benchmark::State& state) { observe(state, BackendKind::redis, one_sender_message); }
void BM_ObserveBusyLmdb(benchmark::State& state) { observe_busy(state, BackendKind::lmdb); }
void BM_ObserveBusyRedis(benchmark::State& state) { observe_busy(state, BackendKind::redis); }
void BM_PeekLmdb(benchmark::State& state) { peek(state, BackendKind::lmdb); }
void BM_PeekRedis(benchmark::State& state) { peek(state, BackendKind::redis); }
// Wall time: for Redis most of the work happens in the server process.
BENCHMARK(BM_ObserveLmdb)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ObserveRedis)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ObserveRedisOneSender)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ObserveBusyLmdb)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ObserveBusyRedis)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PeekLmdb)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PeekRedis)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Commands the Redis server receives from the client per message, by MONITOR,
// and (with PUSHBACK_BENCH_COMMANDS set) which commands the script runs.
void round_trips(benchmark::State& state, Observation (*make)(std::uint64_t)) {
  Backend backend(BackendKind::redis);
  backend.clock->advance(1s);
  backend.store->observe(make(0));
  for (auto _ : state) {
    testing::Monitor monitor(backend.redis->port());
    constexpr int messages = 200;
    for (int n = 1; n <= messages; ++n) {
      backend.clock->advance(1s);
      backend.store->observe(make(static_cast<std::uint64_t>(n)));
    }
    double client = 0;
    double script = 0;
    std::map<std::string, int> by_name;
    for (const auto& line : monitor.drain()) {
      const bool in_script = line.find(" lua]") != std::string::npos;
      (in_script ? script : client) += 1;
      const auto open = line.find("] \"");
      if (in_script && open != std::string::npos) by_name[line.substr(open + 3, line.find('"', open + 3) - open - 3)] += 1;
    }
    state.counters["round_trips_per_message"] = client / messages;
    state.counters["script_commands_per_message"] = script / messages;
    if (std::getenv("PUSHBACK_BENCH_COMMANDS") != nullptr) {
      for (const auto& [name, count] : by_name) std::fprintf(stderr, "  %-18s %6.2f\n", name.c_str(), count / double(messages));
    }
  }
}
void BM_RedisRoundTrips(benchmark::State& state) { round_trips(state, message); }
void BM_RedisRoundTripsOneSender(benchmark::State& state) { round_trips(state, one_sender_message); }
BENCHMARK(BM_RedisRoundTrips)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RedisRoundTripsOneSender)->Iterations(1)->Unit(benchmark::kMillisecond);

// Where the bytes go: entries, key and value bytes per key kind (the first
// byte of the key), and the leaf bytes they take (LMDB node header of 8 bytes,
// 2-byte slot, even size), per pair.
void print_breakdown(MDB_env* env, std::uint64_t pairs) {
  struct Kind {
    std::uint64_t entries = 0, keys = 0, values = 0, nodes = 0;
  };
  std::map<char, Kind> kinds;
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  MDB_cursor* cursor = nullptr;
  if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return;
  mdb_dbi_open(txn, nullptr, 0, &dbi);
  mdb_cursor_open(txn, dbi, &cursor);
  MDB_val k{};
  MDB_val v{};
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto& kind = kinds[k.mv_size ? *static_cast<const char*>(k.mv_data) : '?'];
    ++kind.entries;
    kind.keys += k.mv_size;
    kind.values += v.mv_size;
    kind.nodes += ((8 + k.mv_size + v.mv_size + 1) & ~std::size_t{1}) + 2;
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  std::printf("%-5s %12s %10s %10s %16s\n", "kind", "entries", "key B", "value B", "node B per pair");
  for (const auto& [prefix, kind] : kinds) {
    auto per = [&](std::uint64_t total) { return static_cast<double>(total) / static_cast<double>(kind.entries); };
    std::printf("%-5c %12llu %10.1f %10.1f %16.1f\n", prefix, static_cast<unsigned long long>(kind.entries),
                per(kind.keys), per(kind.values), static_cast<double>(kind.nodes) / static_cast<double>(pairs));
  }
}

// Fills the LMDB store with N pairs: senders of 100 recipients each, every
// pair a first step and a follow-up some days later (templates per step,
// personalised per recipient), over 30 days; then measures the file.
// N pairs: senders of 100 recipients each, every pair a first step and a
// follow-up some days later (templates per step, personalised per
// recipient), over 30 days. Returns the messages observed.
std::uint64_t fill_pairs(Backend& backend, std::uint64_t pairs, benchmark::State& state) {
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
        observation.campaign = evidence_of(s, s / 10);
        backend.clock->advance(step);
        if (backend.store->observe(observation).outcome != Outcome::counted) state.SkipWithError("observe failed");
        ++n;
      }
    }
  }
  backend.store->maintain();
  return n;
}

void BM_LmdbBytesPerPair(benchmark::State& state) {
  const auto pairs = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    Backend backend(BackendKind::lmdb);
    std::uint64_t n = fill_pairs(backend, pairs, state);
    backend.store.reset();
    MDB_env* env = nullptr;
    mdb_env_create(&env);
    mdb_env_open(env, backend.dir.path().c_str(), MDB_RDONLY, 0600);
    MDB_stat stat{};
    MDB_envinfo info{};
    mdb_env_stat(env, &stat);
    mdb_env_info(env, &info);
    print_breakdown(env, pairs);
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

// What the store check at start and a backup cost on a store of N pairs:
// the check's child reads every record and free page; the backup is a
// compacted copy taken from one read transaction (docs/state.md, Recovery).
void BM_LmdbCheckAndBackup(benchmark::State& state) {
  const auto pairs = static_cast<std::uint64_t>(state.range(0));
  Backend backend(BackendKind::lmdb);
  fill_pairs(backend, pairs, state);
  struct stat file {};
  ::stat((backend.dir.path() + "/data.mdb").c_str(), &file);
  std::string copy = backend.dir.path() + "/backup.mdb";
  for (auto _ : state) {
    auto began = std::chrono::steady_clock::now();
    auto health = check_lmdb_store(backend.dir.path(), 3600, 600s);
    auto checked = std::chrono::steady_clock::now();
    if (health.condition != StoreCondition::sound) state.SkipWithError(health.detail.c_str());
    ::unlink(copy.c_str());
    std::string error;
    if (!backend.store->copy_to(copy, error)) state.SkipWithError(error.c_str());
    auto copied = std::chrono::steady_clock::now();
    state.counters["records"] = static_cast<double>(health.records);
    state.counters["file_mb"] = static_cast<double>(file.st_size) / 1e6;
    state.counters["check_s"] = std::chrono::duration<double>(checked - began).count();
    state.counters["backup_s"] = std::chrono::duration<double>(copied - checked).count();
    struct stat backup {};
    ::stat(copy.c_str(), &backup);
    state.counters["backup_mb"] = static_cast<double>(backup.st_size) / 1e6;
  }
}
BENCHMARK(BM_LmdbCheckAndBackup)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_LmdbBytesPerPair)->Name("BM_LmdbBytesPerPair_10M")->Arg(10'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// The same traffic as BM_LmdbBytesPerPair into Redis: used_memory (INFO
// memory) after the run minus before, per pair. Four threads share the
// senders; each message carries its own time, so the order between threads
// does not matter.
void BM_RedisBytesPerPair(benchmark::State& state) {
  const auto pairs = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    Backend backend(BackendKind::redis);
    const std::uint64_t per_sender = 100;
    const std::uint64_t sender_count = pairs / per_sender;
    const auto step = std::chrono::duration_cast<std::chrono::system_clock::duration>(30 * 24h) / (2 * pairs);
    const TimePoint start = backend.clock->now();
    Observation warm_up;
    warm_up.sender = "warm@up.example";
    warm_up.recipients = {"a@corp.example"};
    backend.store->observe(warm_up);  // connects and loads the script
    backend.redis->command({"FLUSHALL"});
    const std::uint64_t memory_before = backend.redis->info("used_memory");
    std::atomic<std::uint64_t> failed{0};
    constexpr std::uint64_t threads = 4;
    std::vector<std::thread> workers;
    for (std::uint64_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (std::uint32_t sequence_step = 0; sequence_step < 2; ++sequence_step) {
          for (std::uint64_t s = t; s < sender_count; s += threads) {
            for (std::uint64_t k = 0; k < per_sender; ++k) {
              std::uint64_t n = sequence_step * pairs + s * per_sender + k;
              Observation observation;
              observation.sender = "rep" + std::to_string(s) + "@vendor" + std::to_string(s / 10) + ".example";
              observation.recipients = {"user" + std::to_string((s * per_sender + k) % 1'000'003) + "@corp.example"};
              observation.message_id = std::to_string(n) + "@bench.example";
              observation.fingerprint = testing::fingerprint(static_cast<std::uint32_t>(s * 2 + sequence_step),
                                                             static_cast<std::uint32_t>(k), 6);
              observation.time = start + step * static_cast<std::int64_t>(n);
              if (backend.store->observe(observation).outcome != Outcome::counted) ++failed;
            }
          }
        }
      });
    }
    for (auto& worker : workers) worker.join();
    if (failed > 0) state.SkipWithError("observe failed");
    const std::uint64_t memory_after = backend.redis->info("used_memory");
    state.counters["pairs"] = static_cast<double>(pairs);
    state.counters["messages"] = static_cast<double>(2 * pairs);
    state.counters["keys"] = std::stod(backend.redis->command({"DBSIZE"}).at(0));
    state.counters["used_memory_bytes_per_pair"] =
        static_cast<double>(memory_after - memory_before) / static_cast<double>(pairs);
  }
}
BENCHMARK(BM_RedisBytesPerPair)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// kB of a "VmRSS:"-style line of /proc/self/status.
double status_kb(const char* name) {
  std::FILE* file = std::fopen("/proc/self/status", "r");
  if (!file) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, file)) {
    if (std::strncmp(line, name, std::strlen(name)) == 0) kb = std::atof(line + std::strlen(name));
  }
  std::fclose(file);
  return kb;
}

double thread_cpu_us() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// Scale: 1M senders of 10 recipients each, every sender its own template
// (personalised per recipient): 10M pairs and 1M templates, one message per
// pair over 30 days. Then 100,000 more messages (a follow-up with a new
// template to a random existing pair, or a first message to a new pair, half
// each), each timed: observe() latency at that size. RSS from
// /proc/self/status (LMDB's pages are mapped, so the resident part of the
// file counts), disk as the file's allocated blocks.
void BM_LmdbScale(benchmark::State& state) {
  const auto sender_count = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t per_sender = 10;
  for (auto _ : state) {
    Backend backend(BackendKind::lmdb, 32ull << 30);
    const std::uint64_t pairs = sender_count * per_sender;
    const auto step = std::chrono::duration_cast<std::chrono::system_clock::duration>(30 * 24h) / pairs;
    auto make = [&](std::uint64_t s, std::uint64_t k, std::uint32_t template_id, std::uint64_t n) {
      Observation observation;
      observation.sender = "rep" + std::to_string(s) + "@vendor" + std::to_string(s / 10) + ".example";
      observation.recipients = {"user" + std::to_string((s * 7 + k * 100'003) % 2'000'003) + "@corp.example"};
      observation.message_id = std::to_string(n) + "@bench.example";
      observation.fingerprint = testing::fingerprint(template_id, static_cast<std::uint32_t>(k), 6);
      observation.campaign = evidence_of(s, s / 10);
      return observation;
    };
    std::uint64_t n = 0;
    for (std::uint64_t s = 0; s < sender_count; ++s) {
      for (std::uint64_t k = 0; k < per_sender; ++k) {
        backend.clock->advance(step);
        if (backend.store->observe(make(s, k, static_cast<std::uint32_t>(s), n++)).outcome != Outcome::counted) {
          state.SkipWithError("observe failed");
        }
      }
    }
    backend.store->maintain();
    const double rss_after_fill = status_kb("VmRSS:");
    std::vector<double> wall;
    std::vector<double> cpu;
    constexpr std::size_t samples = 100'000;
    std::uint64_t random = 88172645463325252ull;
    for (std::size_t i = 0; i < samples; ++i) {
      random ^= random << 13;
      random ^= random >> 7;
      random ^= random << 17;
      std::uint64_t s = random % sender_count;
      bool follow_up = i % 2 == 0;
      auto template_id = static_cast<std::uint32_t>(follow_up ? sender_count + s : s);
      Observation observation = make(s, follow_up ? random % per_sender : per_sender + i, template_id, n++);
      backend.clock->advance(1s);
      auto wall_start = std::chrono::steady_clock::now();
      double cpu_start = thread_cpu_us();
      bool counted = backend.store->observe(observation).outcome == Outcome::counted;
      cpu.push_back(thread_cpu_us() - cpu_start);
      wall.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count());
      if (!counted) state.SkipWithError("observe failed");
    }
    backend.store->maintain();
    const double rss = status_kb("VmRSS:");
    const double hwm = status_kb("VmHWM:");
    backend.store.reset();
    MDB_env* env = nullptr;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, 32ull << 30);
    mdb_env_open(env, backend.dir.path().c_str(), MDB_RDONLY, 0600);
    MDB_stat stat{};
    mdb_env_stat(env, &stat);
    print_breakdown(env, pairs);
    mdb_env_close(env);
    struct stat file {};
    ::stat((backend.dir.path() + "/data.mdb").c_str(), &file);
    auto percentile = [](std::vector<double> values, double p) {
      std::sort(values.begin(), values.end());
      return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
    };
    double cpu_total = 0;
    for (double value : cpu) cpu_total += value;
    state.counters["pairs"] = static_cast<double>(pairs);
    state.counters["templates_filled"] = static_cast<double>(sender_count);
    state.counters["entries"] = static_cast<double>(stat.ms_entries);
    state.counters["file_MB"] = static_cast<double>(file.st_size) / 1e6;
    state.counters["disk_MB"] = static_cast<double>(file.st_blocks) * 512 / 1e6;
    state.counters["tree_MB"] =
        static_cast<double>((stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * stat.ms_psize) / 1e6;
    state.counters["rss_fill_MB"] = rss_after_fill / 1e3;
    state.counters["rss_MB"] = rss / 1e3;
    state.counters["rss_peak_MB"] = hwm / 1e3;
    state.counters["observe_wall_p50_us"] = percentile(wall, 0.5);
    state.counters["observe_wall_p99_us"] = percentile(wall, 0.99);
    state.counters["observe_cpu_p50_us"] = percentile(cpu, 0.5);
    state.counters["observe_cpu_p99_us"] = percentile(cpu, 0.99);
    state.counters["observe_cpu_mean_us"] = cpu_total / static_cast<double>(samples);
  }
}
BENCHMARK(BM_LmdbScale)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// --- Daily counts: what the console adds to the milter's per-message path
// (one DailyTally::add) and the flush every sync interval (off that path). ---
static void BM_DailyTallyAdd(benchmark::State& state) {
  static DailyTally tally;  // shared by the benchmark's threads, as by the milter's workers
  SystemClock clock;
  auto now = clock.now();
  int i = 0;
  for (auto _ : state) {
    tally.add(static_cast<DailyEvent>(i++ & 3), now);
  }
  benchmark::DoNotOptimize(tally);
}
BENCHMARK(BM_DailyTallyAdd)->Unit(benchmark::kNanosecond)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

static void BM_DailyFlushLmdb(benchmark::State& state) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto store = open_store(settings, std::make_shared<SystemClock>());
  DayCounts today;
  today.day = day_number(SystemClock().now());
  today[DailyEvent::pass] = 1000;
  for (auto _ : state) benchmark::DoNotOptimize(store->add_daily_counts({today}));
}
BENCHMARK(BM_DailyFlushLmdb)->Unit(benchmark::kMicrosecond);

// The most-targeted staff: one TargetTally::add per message judged outreach,
// for its recipients (one to three of 500 staff, as a sequence writes to
// one person or a few); the flush of a day's tally into LMDB, off that path.
static void BM_TargetTallyAdd(benchmark::State& state) {
  static TargetTally tally;  // shared by the benchmark's threads, as by the milter's workers
  static const std::vector<std::vector<std::string>> envelopes = [] {
    std::vector<std::vector<std::string>> out;
    for (std::uint64_t i = 0; i < 4096; ++i) {
      std::vector<std::string> recipients;
      for (std::uint64_t r = 0; r <= i % 3; ++r) {
        recipients.push_back("staff" + std::to_string((i * 7919 + r * 104729) % 500) + "@corp.example");
      }
      out.push_back(std::move(recipients));
    }
    return out;
  }();
  SystemClock clock;
  auto now = clock.now();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 977;
  for (auto _ : state) {
    tally.add(envelopes[i++ & 4095], now);
  }
  if (state.thread_index() == 0) benchmark::DoNotOptimize(tally.drain());
}
BENCHMARK(BM_TargetTallyAdd)->Unit(benchmark::kNanosecond)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

static void BM_TargetFlushLmdb(benchmark::State& state) {
  testing::TempDir dir;
  StoreSettings settings;
  settings.state_dir = dir.path();
  auto store = open_store(settings, std::make_shared<SystemClock>());
  DayTargets day;
  day.day = day_number(SystemClock().now());
  // Between two flushes (5 s): a few dozen recipients; the stored day grows to the staff's size.
  for (int r = 0; r < 40; ++r) day.recipients["staff" + std::to_string(r * 37 % 500) + "@corp.example"] = 1;
  for (int r = 0; r < 500; ++r) store->add_targets({{day.day, {{"staff" + std::to_string(r) + "@corp.example", 1}}}});
  for (auto _ : state) benchmark::DoNotOptimize(store->add_targets({day}));
}
BENCHMARK(BM_TargetFlushLmdb)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pushback::state

BENCHMARK_MAIN();
