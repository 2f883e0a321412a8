// Messages analysed per second per core (plain and HTML mail from the corpus)
// and heap bytes allocated per message, counted by replacing operator new in
// this binary only. --once=N instead analyses a fixed number of messages, for
// callgrind.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "bench/corpus_files.hpp"
#include "config/model_file.hpp"
#include "scoring/cold_pitch.hpp"
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
  std::vector<scoring::Message> html;   // with an HTML part, any size (mostly newsletters)
  std::vector<scoring::Message> html_sized;  // with an HTML part, 3 to 8 KB like the plain set
  std::uint64_t plain_bytes = 0;
  std::uint64_t html_bytes = 0;
  std::uint64_t html_sized_bytes = 0;
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
    bool sized = raw.size() >= 3000 && raw.size() <= 8000;
    if (html && sized && s.html_sized.size() < 2000) {
      s.html_sized_bytes += raw.size();
      s.html_sized.push_back(scoring::parse_raw_message(raw));
    }
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

// --once=N: the first N messages of each set analysed once each, then exit.
// A fixed amount of work, for instruction counts that do not depend on the
// load of the machine:
//   valgrind --tool=callgrind --toggle-collect='*analyse_*_once*' analysis_bench --once=300
//   callgrind_annotate --inclusive=yes callgrind.out.PID | grep _once
std::size_t analyse_once(const std::vector<scoring::Message>& messages, std::size_t count) {
  std::size_t words = 0;
  for (std::size_t i = 0; i < std::min(count, messages.size()); ++i) {
    words += scoring::extract_text_features(messages[i]).fingerprint.token_count;
  }
  return words;
}
[[gnu::noinline]] std::size_t analyse_plain_once(std::size_t count) { return analyse_once(sets().plain, count); }
[[gnu::noinline]] std::size_t analyse_html_once(std::size_t count) { return analyse_once(sets().html, count); }

int run_once(std::size_t count) {
  for (const auto* messages : {&sets().plain, &sets().html}) {
    if (messages->empty()) continue;
    (void)scoring::extract_text_features(messages->front());  // library set-up, outside the count
    std::uint64_t count_before = allocation_count.load();
    std::size_t words = messages == &sets().plain ? analyse_plain_once(count) : analyse_html_once(count);
    std::printf("%s: %zu messages, %zu words, %.1f allocations per message\n",
                messages == &sets().plain ? "plain" : "html", std::min(count, messages->size()), words,
                static_cast<double>(allocation_count.load() - count_before) /
                    static_cast<double>(std::min(count, messages->size())));
  }
  return 0;
}

void BM_AnalysePlain(benchmark::State& state) { run(state, sets().plain, sets().plain_bytes); }
void BM_AnalyseHtml(benchmark::State& state) { run(state, sets().html, sets().html_bytes); }
void BM_AnalyseHtmlSameSize(benchmark::State& state) { run(state, sets().html_sized, sets().html_sized_bytes); }
// COLD_PITCH's own cost: the shipped model's probability for the model input
// of real mail (the plain set) and of cold outreach (templates of the corpus
// as messages), input prepared outside the timing as the analysis prepares it.
struct ModelInputs {
  std::shared_ptr<const scoring::ColdPitchModel> model;
  std::size_t model_bytes = 0;
  std::vector<std::string> ham;
  std::vector<std::string> outreach;
};

ModelInputs& model_inputs() {
  static ModelInputs inputs;
  return inputs;
}

void load_model_inputs(const std::filesystem::path& corpus) {
  auto& in = model_inputs();
  auto file = config::read_model_file(std::string(PUSHBACK_SOURCE_DIR) + "/data/cold_pitch.model",
                                      config::cold_pitch_model_kind);
  if (!file.payload) return;
  in.model_bytes = file.payload->size();
  in.model = scoring::ColdPitchModel::load(*file.payload).model;
  for (const auto& message : sets().plain) in.ham.push_back(scoring::model_input(scoring::extract_text_features(message)));
  for (const auto& path : files_under(corpus / "outreach" / "cold", 2000)) {
    in.outreach.push_back(scoring::model_input(scoring::extract_text_features(scoring::parse_raw_message(read_file(path)))));
  }
}

void run_model(benchmark::State& state, const std::vector<std::string>& inputs) {
  const auto& model = model_inputs().model;
  if (!model || inputs.empty()) {
    state.SkipWithError("no model (data/cold_pitch.model) or no corpus messages");
    return;
  }
  std::size_t at = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model->probability(inputs[at]));
    if (++at == inputs.size()) at = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["model_bytes"] = static_cast<double>(model_inputs().model_bytes);
  state.counters["messages"] = static_cast<double>(inputs.size());
}

void BM_ColdPitchHam(benchmark::State& state) { run_model(state, model_inputs().ham); }
void BM_ColdPitchOutreach(benchmark::State& state) { run_model(state, model_inputs().outreach); }
BENCHMARK(BM_ColdPitchHam)->MinTime(2.0);
BENCHMARK(BM_ColdPitchOutreach)->MinTime(2.0);

BENCHMARK(BM_AnalysePlain)->MinTime(3.0);
BENCHMARK(BM_AnalyseHtml)->MinTime(3.0);
BENCHMARK(BM_AnalyseHtmlSameSize)->MinTime(3.0);

}  // namespace
}  // namespace pushback::bench

int main(int argc, char** argv) {
  auto corpus = pushback::bench::corpus_path(argc, argv);
  std::size_t once = 0;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--once=")) {
      once = std::strtoul(argv[i] + 7, nullptr, 10);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  pushback::bench::load(corpus);
  pushback::bench::load_model_inputs(corpus);
  if (once > 0) return pushback::bench::run_once(once);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("corpus", corpus.string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
