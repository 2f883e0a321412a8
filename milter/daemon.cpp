// Process life of the milter: configuration, socket, privileges, signals.
// libmilter owns SIGHUP, SIGTERM and SIGINT (all stop it); SIGUSR1 reloads.
#include "milter/daemon.hpp"

#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "build_info.hpp"
#include "config/load.hpp"
#include "milter/callbacks.hpp"
#include "milter/feedback_metrics.hpp"
#include "milter/runtime.hpp"
#include "milter/state_bridge.hpp"
#include "milter/tcp_nodelay.hpp"
#include "quarantine/seal.hpp"
#include "state/daily_flusher.hpp"
#include "state/decision_snapshots.hpp"
#include "state/maintainer.hpp"
#include "state/store_recovery.hpp"
#include "milter/logging.hpp"
#include "milter/privileges.hpp"
#include "metrics/http_server.hpp"
#include "metrics/pushback_metrics.hpp"

namespace pushback::milter {

namespace {

constexpr int exit_config = 78;  // EX_CONFIG
constexpr int exit_os = 71;      // EX_OSERR
// How long a stop waits for milter callbacks that are still running.
constexpr std::chrono::milliseconds callback_drain_limit{10'000};

RuntimeLoad load(const DaemonOptions& options) { return load_runtime(options.config_path, options.socket); }

bool write_pid_file(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << getpid() << '\n';
  return static_cast<bool>(out.flush());
}

// The unix socket goes to milter.user before the switch, so that the
// unprivileged daemon can still remove it at the end.
bool drop_privileges(const config::MilterSettings& settings) {
  if (geteuid() != 0 || settings.user.empty()) return true;
  std::string error;
  auto account = milter_account(settings, error);
  if (!account) {
    spdlog::critical("{}", error);
    return false;
  }
  if (settings.socket.kind == config::SocketSpec::Kind::unix_path &&
      chown(settings.socket.path.c_str(), account->uid, account->gid) != 0) {
    spdlog::warn("cannot hand socket {} to {}: {}", settings.socket.path, settings.user, std::strerror(errno));
  }
  if (!switch_to_milter_user(settings, error)) {
    spdlog::critical("{}", error);
    return false;
  }
  spdlog::info("running as user {}", settings.user);
  return true;
}

bool ensure_state_dir(const std::string& dir, const config::MilterSettings& settings) {
  std::string error;
  bool created = false;
  if (!milter::ensure_state_dir(dir, settings, error, created)) {
    spdlog::critical("{}", error);
    return false;
  }
  if (created) {
    spdlog::info("created the state directory {} (mode 0750{})", dir,
                 geteuid() == 0 && !settings.user.empty() ? ", owner " + settings.user : std::string{});
  }
  return true;
}

// The state directory and its files belong to the user the daemon now
// runs as; anything else is named with its fix.
bool state_has_one_owner(const config::Config& config) {
  auto problems = state::check_state_ownership(config.state.dir, running_user());
  for (const auto& problem : problems) spdlog::critical("{}", problem);
  return problems.empty();
}

bool open_socket(const config::MilterSettings& settings) {
  std::string conn = settings.socket.libmilter_form();
  if (smfi_setconn(conn.data()) != MI_SUCCESS) {
    spdlog::critical("libmilter rejected socket {}", conn);
    return false;
  }
  smfi_settimeout(static_cast<int>(settings.timeout.count()));
  bool is_unix = settings.socket.kind == config::SocketSpec::Kind::unix_path;
  mode_t old_mask = umask(is_unix ? static_cast<mode_t>(~settings.socket_mode & 0777) : umask(0));
  int opened = smfi_opensocket(true);  // true: remove a stale unix socket first
  umask(old_mask);
  if (opened != MI_SUCCESS) {
    spdlog::critical("cannot listen on {}: {}", conn, std::strerror(errno));
    return false;
  }
  if (is_unix) chmod(settings.socket.path.c_str(), settings.socket_mode);
  if (!is_unix) {
    // Accepted connections inherit TCP_NODELAY: replies then leave at once
    // instead of waiting for the MTA's delayed ACK (about 40 ms per message).
    int family = settings.socket.kind == config::SocketSpec::Kind::inet6 ? AF_INET6 : AF_INET;
    if (set_nodelay_on_listener(family, settings.socket.port) < 1) {
      spdlog::warn("cannot set TCP_NODELAY on {}: each message may wait about 40 ms for a delayed ACK", conn);
    }
  }
  spdlog::info("listening on {}", conn);
  return true;
}

bool daemonise() {
  pid_t child = fork();
  if (child < 0) return false;
  if (child > 0) _exit(0);
  setsid();
  if (chdir("/") != 0) return false;
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd < 0) return false;
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(null_fd, STDERR_FILENO);
  if (null_fd > STDERR_FILENO) close(null_fd);
  return true;
}

// Waits for SIGUSR1 (blocked in every thread) and swaps in a new configuration
// when it validates; an invalid one is logged and the old one stays.
class ReloadThread {
 public:
  ReloadThread(const DaemonOptions& options, RuntimeHolder& holder, metrics::PushbackMetrics& metrics)
      : metrics_(metrics), thread_([this, &options, &holder] { run(options, holder); }) {}
  ~ReloadThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run(const DaemonOptions& options, RuntimeHolder& holder) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    const timespec tick{0, 200'000'000};
    while (!stop_) {
      if (sigtimedwait(&set, nullptr, &tick) != SIGUSR1) continue;
      auto result = load(options);
      if (!result.ok()) {
        for (const auto& error : result.errors) spdlog::error("reload: {}", error);
        spdlog::error("reload failed; keeping the previous configuration");
        metrics_.config_reloads.with({"failure"}).add();
        continue;
      }
      const auto& previous = *holder.get()->config;
      const auto& next = *result.runtime->config;
      if (previous.milter.socket.libmilter_form() != next.milter.socket.libmilter_form() ||
          previous.milter.user != next.milter.user || previous.metrics.listen != next.metrics.listen) {
        spdlog::warn("reload: milter.socket, milter.user and metrics.listen take effect only after a restart");
      }
      set_log_level(next.log);
      holder.set(result.runtime);
      metrics_.config_reloads.with({"success"}).add();
      spdlog::info("configuration reloaded from {}", options.config_path);
    }
  }

  metrics::PushbackMetrics& metrics_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  auto loaded = load(options);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "pushback: %s\n", error.c_str());
    return exit_config;
  }
  auto config = loaded.runtime->config;
  configure_logging(config->log);

  // Blocked before any thread exists: SIGUSR1 is taken only by the reload
  // thread, and the stop signals only by libmilter's own signal thread.
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGUSR1, SIGHUP, SIGTERM, SIGINT}) sigaddset(&handled, signal_number);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (!options.foreground && !daemonise()) {
    spdlog::critical("cannot run in the background: {}", std::strerror(errno));
    return exit_os;
  }
  std::string pid_file = options.pid_file.value_or(config->milter.pid_file);
  if (!pid_file.empty() && !write_pid_file(pid_file)) {
    spdlog::critical("cannot write pid file {}: {}", pid_file, std::strerror(errno));
    return exit_os;
  }

  RuntimeHolder holder(loaded.runtime);
  metrics::PushbackMetrics metrics;
  Services services{metrics};  // the store joins below; sessions start only in smfi_main()
  services.unix_socket = config->milter.socket.kind == config::SocketSpec::Kind::unix_path;
  CallbackGate gate;
  if (!register_callbacks(holder, services, gate) || !open_socket(config->milter) ||
      !ensure_state_dir(config->state.dir, config->milter) || !drop_privileges(config->milter)) {
    return exit_os;
  }

  // Opened as the unprivileged user, so that the files are its own.
  if (!state_has_one_owner(*config)) return exit_config;
  auto clock = std::make_shared<state::SystemClock>();
  std::unique_ptr<state::Store> store;
  try {
    auto checked = state::open_checked_store(store_settings(config->state), clock);
    store = std::move(checked.store);
    if (checked.recovery) {
      spdlog::critical("{}", state::describe(*checked.recovery, config->state.dir));
      for (const auto& skipped : checked.recovery->skipped_snapshots) spdlog::warn("unreadable snapshot {}", skipped);
      metrics.store_recoveries.add();
    } else if (!checked.restored_snapshot.empty()) {
      spdlog::warn("state store {} was missing: a fresh store was created with the admin decisions of {}",
                   config->state.dir, checked.restored_snapshot);
    } else if (checked.health.condition == state::StoreCondition::sound && config->state.backend == "lmdb") {
      spdlog::info("state store checked: {}", checked.health.detail);
    }
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the state store: {}", e.what());
    return exit_os;
  }
  state::take_daily_snapshots(*store, clock->now());
  state::Maintainer maintainer(*store, std::chrono::duration_cast<std::chrono::milliseconds>(config->state.sync_interval),
                               true);
  state::DailyTally daily;
  state::TargetTally targets;
  state::DailyFlusher daily_flusher(*store, daily,
                                    std::chrono::duration_cast<std::chrono::milliseconds>(config->state.sync_interval),
                                    &targets);
  services.daily = &daily;
  services.targets = &targets;
  services.store = store.get();
  services.clock = clock.get();
  // The seal key comes from the secret key file that opening the store ensured.
  std::optional<quarantine::Sealer> sealer;
  try {
    sealer.emplace(quarantine::Sealer::from_state_dir(config->state.dir));
    services.sealer = &*sealer;
  } catch (const std::exception& e) {
    spdlog::critical("cannot read the seal key: {}", e.what());
    return exit_os;
  }
  std::string redis_where = !config->state.redis_socket.empty() ? "redis at unix:" + config->state.redis_socket
                            : config->state.redis_sentinels.empty()
                                ? "redis at " + config->state.redis_host + ":" + std::to_string(config->state.redis_port)
                                : "redis primary " + config->state.redis_master_name + " via " +
                                      std::to_string(config->state.redis_sentinels.size()) + " Sentinels";
  spdlog::info("state: {} in {}", config->state.backend == "redis" ? redis_where : std::string("lmdb"), config->state.dir);
  std::unique_ptr<metrics::HttpServer> metrics_server;
  if (config->metrics.enabled) {
    try {
      metrics_server = std::make_unique<metrics::HttpServer>(config->metrics.listen, config->metrics.allow_non_loopback,
                                                             [&metrics, &store] {
                                                               return metrics.render(build::version) +
                                                                      feedback_exposition(store->feedback_totals());
                                                             });
      spdlog::info("metrics on http://{}/metrics", config->metrics.listen);
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return exit_os;
    }
  }

  int status = MI_SUCCESS;
  {
    ReloadThread reloader(options, holder, metrics);
    spdlog::info("pushback {} ready", build::version);
    sd_notify(0, "READY=1");
    status = smfi_main();
    sd_notify(0, "STOPPING=1");
  }
  // libmilter's workers are detached: wait for callbacks still running before
  // the store and the metrics they use are destroyed.
  if (std::size_t running = gate.close(callback_drain_limit); running > 0) {
    spdlog::warn("{} milter callback(s) still running after {} s; stopping anyway", running,
                 std::chrono::duration_cast<std::chrono::seconds>(callback_drain_limit).count());
  }
  if (!pid_file.empty()) unlink(pid_file.c_str());
  // libmilter leaves the unix socket behind; a stale one would be removed at
  // the next start anyway, but an admin reads a leftover socket as a crash.
  if (config->milter.socket.kind == config::SocketSpec::Kind::unix_path) unlink(config->milter.socket.path.c_str());
  spdlog::info("pushback stopped");
  return status == MI_SUCCESS ? 0 : 1;
}

}  // namespace pushback::milter
