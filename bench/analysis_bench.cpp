// Messages analysed per second per core (plain and HTML mail from the corpus)
// and heap bytes allocated per message, counted by replacing operator new in
// this binary only.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "bench/corpus_files.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

namespace {
std::atomic<std::uint64_t> allocated_bytes{0};
std::atomic<std::uint64_t> allocation_count{0};
}  // namespace

// GCC pairs malloc with the replaced operator new and warns on free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace pushback::bench {
namespace {

struct Sets {
  std::vector<scoring::Message> plain;  // no HTML part, 3 to 8 KB
  std::vector<scoring::Message> html;   // with an HTML part
  std::uint64_t plain_bytes = 0;
  std::uint64_t html_bytes = 0;
};

bool mentions_html(std::string_view raw) {
  for (std::size_t at = raw.find("ext/"); at != std::string_view::npos; at = raw.find("ext/", at + 1)) {
    if (at > 0 && (raw[at - 1] == 't' || raw[at - 1] == 'T') && scoring::istarts_with(raw.substr(at + 4), "html")) {
      return true;
    }
  }
  return false;
}

Sets& sets() {
  static Sets loaded;
  return loaded;
}

void load(const std::filesystem::path& corpus) {
  auto& s = sets();
  for (const auto& file : files_under(corpus / "ham", 20000)) {
    std::string raw = read_file(file);
    bool html = mentions_html(raw);
    if (html && s.html.size() < 2000) {
      s.html_bytes += raw.size();
      s.html.push_back(scoring::parse_raw_message(raw));
    } else if (!html && raw.size() >= 3000 && raw.size() <= 8000 && s.plain.size() < 2000) {
      s.plain_bytes += raw.size();
      s.plain.push_back(scoring::parse_raw_message(raw));
    }
  }
}

void run(benchmark::State& state, const std::vector<scoring::Message>& messages, std::uint64_t bytes) {
  if (messages.empty()) {
    state.SkipWithError("no corpus messages (set --corpus=PATH or PUSHBACK_CORPUS)");
    return;
  }
  std::size_t at = 0;
  std::uint64_t bytes_before = allocated_bytes.load();
  std::uint64_t count_before = allocation_count.load();
  for (auto _ : state) {
    auto features = scoring::extract_text_features(messages[at]);
    benchmark::DoNotOptimize(features);
    if (++at == messages.size()) at = 0;
  }
  auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["alloc_bytes_per_msg"] = static_cast<double>(allocated_bytes.load() - bytes_before) / iterations;
  state.counters["allocs_per_msg"] = static_cast<double>(allocation_count.load() - count_before) / iterations;
  state.counters["messages"] = static_cast<double>(messages.size());
  state.counters["avg_msg_bytes"] = static_cast<double>(bytes) / static_cast<double>(messages.size());
}

void BM_AnalysePlain(benchmark::State& state) { run(state, sets().plain, sets().plain_bytes); }
void BM_AnalyseHtml(benchmark::State& state) { run(state, sets().html, sets().html_bytes); }
BENCHMARK(BM_AnalysePlain)->MinTime(3.0);
BENCHMARK(BM_AnalyseHtml)->MinTime(3.0);

}  // namespace
}  // namespace pushback::bench

int main(int argc, char** argv) {
  auto corpus = pushback::bench::corpus_path(argc, argv);
  pushback::bench::load(corpus);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("corpus", corpus.string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
