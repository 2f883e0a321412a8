// Wiring of the console process: configuration, review (queue, seal, store),
// the Console and the Server. Nothing here decides anything.
#include "web/run.hpp"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/review.hpp"
#include "config/load.hpp"
#include "web/console.hpp"
#include "web/password.hpp"
#include "web/server.hpp"

namespace pushback::web {

int run_web(const WebOptions& options) {
  auto review = cli::open_review(options.config_path, "web");
  if (!review) return 78;
  // Opened now, while this is the only thread: as root the store is opened
  // as milter.user (cli::open_store), and switching the effective user
  // later would also switch it under the threads that list the queue.
  cli::open_store(*review, "web");
  std::string listen = options.listen.empty() ? review->config->web.listen : options.listen;
  bool allow_non_loopback = review->config->web.allow_non_loopback;
  try {
    // Block the signals the server waits for before any thread starts, so
    // none of them is delivered to a thread that would die of it.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Console console(std::move(*review), [] { return static_cast<std::int64_t>(std::time(nullptr)); });
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    Server server(listen, allow_non_loopback, [&console](const Request& request) { return console.handle(request); });
    std::printf("pushback web: listening on %s (port %u)\n", listen.c_str(), server.port());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pushback web: %s\n", e.what());
    return 1;
  }
  std::puts("pushback web: stopped");
  return 0;
}

namespace {

std::string read_secret(const char* prompt, bool terminal) {
  termios saved{};
  if (terminal) {
    std::fputs(prompt, stderr);
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputc('\n', stderr);
  }
  return line;
}

}  // namespace

int web_passwd(const std::string& config_path) {
  auto loaded = config::load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "pushback web passwd: %s\n", error.to_string().c_str());
    return 78;
  }
  bool terminal = ::isatty(STDIN_FILENO);
  std::string password = read_secret("New admin password: ", terminal);
  if (terminal && read_secret("Again: ", terminal) != password) {
    std::fputs("pushback web passwd: the two passwords differ; nothing changed\n", stderr);
    return 1;
  }
  // Short passwords fall to guessing even through the rate limit.
  constexpr std::size_t min_length = 10;
  if (password.size() < min_length) {
    std::fprintf(stderr, "pushback web passwd: use at least %zu characters; nothing changed\n", min_length);
    return 2;
  }
  const auto& path = loaded.config->web.password_file;
  if (auto error = write_password_file(path, hash_password(password)); !error.empty()) {
    std::fprintf(stderr, "pushback web passwd: %s\n", error.c_str());
    return 1;
  }
  std::printf("pushback web passwd: the admin password's hash is in %s (mode 0600)\n", path.c_str());
  return 0;
}

}  // namespace pushback::web
