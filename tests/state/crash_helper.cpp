// Counts under load until killed: observes one message after another for one
// (sender, recipient) pair and prints the pair's total after each commit, so
// the crash test knows what was committed when it sent SIGKILL.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "state/store.hpp"

int main(int argc, char** argv) {
  using namespace pushback::state;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STATE_DIR\n", argv[0]);
    return 2;
  }
  StoreSettings settings;
  settings.state_dir = argv[1];
  auto clock = std::make_shared<SystemClock>();
  auto store = open_store(settings, clock);
  for (std::uint64_t n = 0;; ++n) {
    Observation observation;
    observation.sender = "loop@sales.example";
    observation.recipients = {"alice@corp.example", "r" + std::to_string(n % 1000) + "@corp.example"};
    observation.message_id = std::to_string(n) + "." + std::to_string(::getpid()) + "@x";
    History history = store->observe(observation);
    if (history.outcome != Outcome::counted) return 1;
    if (n % 50 == 0) store->maintain();  // sync and sweep run during the load too
    std::printf("%u\n", history.pairs.at(0).messages_total);
    std::fflush(stdout);
  }
}
