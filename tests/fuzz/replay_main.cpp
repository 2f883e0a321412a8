// The replay mode of the fuzz targets: without libFuzzer, feeds every file
// named on the command line, and every file under every directory named, to
// LLVMFuzzerTestOneInput once. A directory that does not exist is skipped, so
// a clone without the shared development corpus replays its own seeds only.
// A crash, sanitizer report or failed check ends the run with the file name
// printed first.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
// Present when a sanitizer runtime is linked: called before it ends the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

// The fuzzers run with -max_len of a few KB; replayed files are cut at this
// size so that one huge corpus file cannot dominate the run.
constexpr std::size_t max_input_bytes = 4 * 1024 * 1024;

// The input being replayed, named when the process dies on it.
char current_input[4096] = "(none)";

void name_current_input() {
  std::fprintf(stderr, "replay: died on input %s\n", current_input);
}

void on_fatal_signal(int number) {
  name_current_input();
  std::signal(number, SIG_DFL);
  std::raise(number);
}

bool replay_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes;
  bytes.reserve(std::min<std::size_t>(max_input_bytes, 64 * 1024));
  std::istreambuf_iterator<char> it(in), end;
  for (; it != end && bytes.size() < max_input_bytes; ++it) bytes.push_back(*it);
  std::snprintf(current_input, sizeof current_input, "%s", path.c_str());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (__sanitizer_set_death_callback) {
    __sanitizer_set_death_callback(name_current_input);  // the sanitizer keeps its own signal handlers
  } else {
    for (int number : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(number, on_fatal_signal);
  }
  auto started = std::chrono::steady_clock::now();
  std::size_t files = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path root(argv[i]);
    std::error_code error;
    if (!std::filesystem::exists(root, error)) {
      std::printf("replay: %s absent, skipped\n", argv[i]);
      continue;
    }
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_directory(root, error)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(root, error)) {
        if (entry.is_regular_file()) paths.push_back(entry.path());
      }
      std::sort(paths.begin(), paths.end());  // the same order on every run
    } else {
      paths.push_back(root);
    }
    for (const auto& path : paths) {
      ok = replay_file(path) && ok;
      ++files;
    }
    std::printf("replay: %s: %zu file(s)\n", argv[i], paths.size());
    std::fflush(stdout);
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("replay: %zu file(s) in %.1f s\n", files, seconds);
  return ok ? 0 : 1;
}
