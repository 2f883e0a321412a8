// Compares the phrase matcher engines (vectorscan, RE2::Set) on folded corpus
// text: messages per second and bytes per second, one thread and several.
// Usage: matcher_bench [benchmark flags] [CORPUS_DIR] [LEXICON_FILE]
// CORPUS_DIR defaults to ../shared/corpus beside the source tree when present;
// without a corpus the bench runs on generated text.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/data_files.hpp"
#include "scoring/casefold.hpp"
#include "scoring/phrase_matcher.hpp"

namespace {

using pushback::scoring::MatcherEngine;
using pushback::scoring::PhraseMatcher;

// Enough messages for a stable figure without minutes of loading.
constexpr std::size_t max_messages_per_folder = 1500;
constexpr std::size_t max_body_bytes = 64 * 1024;

struct Sample {
  std::string name;
  std::vector<std::string> texts;  // folded bodies
  std::size_t bytes = 0;
};

// The body of a raw message or corpus template: everything after the first
// blank line. Good enough for a matcher benchmark; MIME is not decoded here.
std::string body_of(const std::string& raw) {
  auto at = raw.find("\n\n");
  if (auto crlf = raw.find("\r\n\r\n"); crlf != std::string::npos && (at == std::string::npos || crlf < at)) at = crlf;
  std::string body = at == std::string::npos ? raw : raw.substr(at);
  if (body.size() > max_body_bytes) body.resize(max_body_bytes);
  return body;
}

Sample load_folder(const std::filesystem::path& folder, const std::string& name) {
  Sample sample{name, {}, 0};
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > max_messages_per_folder) files.resize(max_messages_per_folder);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string folded = pushback::scoring::fold_text(body_of(buffer.str()));
    sample.bytes += folded.size();
    sample.texts.push_back(std::move(folded));
  }
  return sample;
}

Sample generated() {
  Sample sample{"generated", {}, 0};
  const std::string filler =
      "thanks for the notes from the meeting, the numbers for the third quarter look fine and the team agrees "
      "with the plan. ";
  for (int i = 0; i < 500; ++i) {
    std::string text;
    for (int j = 0; j < 30; ++j) text += filler;
    if (i % 5 == 0) text += "just bumping this to the top of your inbox. ";
    sample.bytes += text.size();
    sample.texts.push_back(std::move(text));
  }
  return sample;
}

void run_match(benchmark::State& state, std::shared_ptr<const PhraseMatcher> matcher, const Sample* sample) {
  std::size_t next = static_cast<std::size_t>(state.thread_index()) * 7919;
  std::size_t bytes = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    const auto& text = sample->texts[next++ % sample->texts.size()];
    auto found = matcher->match(text);
    hits += found.size();
    bytes += text.size();
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["hits_per_msg"] =
      benchmark::Counter(static_cast<double>(hits) / static_cast<double>(std::max<std::int64_t>(state.iterations(), 1)),
                         benchmark::Counter::kAvgThreads);
}

void run_build(benchmark::State& state, const std::vector<pushback::config::PhraseEntry>* entries,
               MatcherEngine engine) {
  for (auto _ : state) {
    auto build = PhraseMatcher::build(*entries, engine);
    benchmark::DoNotOptimize(build.matcher.get());
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::filesystem::path corpus = std::filesystem::path(PUSHBACK_SOURCE_DIR) / ".." / "shared" / "corpus";
  std::string lexicon_path = std::string(PUSHBACK_SOURCE_DIR) + "/data/followup_phrases.toml";
  if (argc > 1) corpus = argv[1];
  if (argc > 2) lexicon_path = argv[2];

  auto lexicon = pushback::config::load_phrase_lexicon_file(lexicon_path);
  if (!lexicon.ok()) {
    for (const auto& error : lexicon.errors) std::cerr << error.to_string() << "\n";
    return 1;
  }
  static const auto entries = lexicon.lexicon->phrases;

  static std::vector<Sample> samples;
  for (const auto& [folder, name] : std::vector<std::pair<std::string, std::string>>{
           {"outreach/cold", "outreach"}, {"ham/enron_inbox_sample", "enron"}, {"ham/spamassassin/easy_ham", "easy_ham"}}) {
    if (std::filesystem::is_directory(corpus / folder)) samples.push_back(load_folder(corpus / folder, name));
  }
  if (samples.empty()) {
    std::cerr << "no corpus at " << corpus << ", using generated text\n";
    samples.push_back(generated());
  }
  for (const auto& sample : samples) {
    std::cerr << sample.name << ": " << sample.texts.size() << " messages, mean "
              << sample.bytes / std::max<std::size_t>(sample.texts.size(), 1) << " bytes folded\n";
  }

  for (auto engine : {MatcherEngine::vectorscan, MatcherEngine::re2_set}) {
    auto build = PhraseMatcher::build(entries, engine);
    if (!build.ok()) {
      for (const auto& error : build.errors) std::cerr << error << "\n";
      return 1;
    }
    std::string engine_name(pushback::scoring::to_string(engine));
    benchmark::RegisterBenchmark(("build/" + engine_name).c_str(), run_build, &entries, engine)
        ->Unit(benchmark::kMillisecond);
    for (const auto& sample : samples) {
      benchmark::RegisterBenchmark(("match/" + engine_name + "/" + sample.name).c_str(), run_match, build.matcher,
                                   &sample)
          ->Threads(1)
          ->Threads(2)
          ->UseRealTime();
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
