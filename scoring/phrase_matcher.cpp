// The two engines behind PhraseMatcher: RE2::Set and vectorscan (Hyperscan
// API). Both take the lexicon's RE2-syntax patterns unchanged; the patterns
// keep to the syntax both understand.
#include "scoring/phrase_matcher.hpp"

#include <fmt/format.h>
#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <mutex>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

RE2::Options re2_options() {
  RE2::Options options;
  options.set_log_errors(false);
  // The DFA of a few hundred phrases outgrows RE2's 8 MB default; running out
  // makes Match() fail, so give it room once rather than fall back per message.
  options.set_max_mem(std::int64_t{64} << 20);
  return options;
}

class Re2SetMatcher final : public PhraseMatcher {
 public:
  Re2SetMatcher(std::vector<config::PhraseEntry> entries, std::vector<std::string>& errors)
      : PhraseMatcher(std::move(entries), MatcherEngine::re2_set), set_(re2_options(), RE2::UNANCHORED) {
    for (const auto& entry : this->entries()) {
      std::string problem;
      if (set_.Add(entry.pattern, &problem) < 0) errors.push_back(fmt::format("{}: {}", entry.id, problem));
      singles_.push_back(std::make_unique<RE2>(entry.pattern, re2_options()));
    }
    if (errors.empty() && !set_.Compile()) errors.emplace_back("RE2::Set: out of memory compiling the lexicon");
  }

 protected:
  void scan(std::string_view folded, std::vector<char>& matched) const override {
    std::vector<int> indices;
    RE2::Set::ErrorInfo info{};
    if (set_.Match(folded, &indices, &info)) {
      for (int index : indices) matched[static_cast<std::size_t>(index)] = 1;
      return;
    }
    if (info.kind == RE2::Set::kNoError) return;  // nothing matched
    // The DFA ran out of memory on this text: test each pattern on its own.
    for (std::size_t i = 0; i < singles_.size(); ++i) {
      if (RE2::PartialMatch(folded, *singles_[i])) matched[i] = 1;
    }
  }

 private:
  RE2::Set set_;
  std::vector<std::unique_ptr<RE2>> singles_;
};

// Hyperscan scratch is per concurrent caller: a small pool of clones, so that
// each milter thread borrows one for the duration of a scan.
class ScratchPool {
 public:
  explicit ScratchPool(hs_scratch_t* prototype) : prototype_(prototype) {}
  ~ScratchPool() {
    for (auto* scratch : free_) hs_free_scratch(scratch);
    hs_free_scratch(prototype_);
  }
  ScratchPool(const ScratchPool&) = delete;
  ScratchPool& operator=(const ScratchPool&) = delete;

  hs_scratch_t* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto* scratch = free_.back();
        free_.pop_back();
        return scratch;
      }
    }
    hs_scratch_t* scratch = nullptr;
    if (hs_clone_scratch(prototype_, &scratch) != HS_SUCCESS) return nullptr;
    return scratch;
  }

  void release(hs_scratch_t* scratch) {
    std::lock_guard lock(mutex_);
    free_.push_back(scratch);
  }

 private:
  hs_scratch_t* prototype_;
  std::mutex mutex_;
  std::vector<hs_scratch_t*> free_;
};

bool valid_utf8(std::string_view text) {
  // Mail text is mostly ASCII: a plain byte loop the compiler vectorises
  // settles that case before utf8proc walks code points.
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return true;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &codepoint);
    if (length <= 0) return false;
    bytes += length;
    remaining -= length;
  }
  return true;
}

class VectorscanMatcher final : public PhraseMatcher {
 public:
  VectorscanMatcher(std::vector<config::PhraseEntry> entries, std::vector<std::string>& errors)
      : PhraseMatcher(std::move(entries), MatcherEngine::vectorscan) {
    const auto& list = this->entries();
    std::vector<const char*> expressions;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      expressions.push_back(list[i].pattern.c_str());
      // No HS_FLAG_UCP: \b and \w stay ASCII, as in RE2.
      flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8);
      ids.push_back(static_cast<unsigned>(i));
    }
    if (list.empty()) return;
    // hs_compile_multi stops at the first bad pattern; drop it and retry so
    // that the admin sees every refused pattern at once.
    while (!expressions.empty()) {
      hs_compile_error_t* error = nullptr;
      hs_error_t status = hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                                           static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr,
                                           &database_, &error);
      if (status == HS_SUCCESS) break;
      if (error->expression < 0) {
        errors.push_back(fmt::format("vectorscan: {}", error->message));
        hs_free_compile_error(error);
        return;
      }
      auto bad = static_cast<std::size_t>(error->expression);
      errors.push_back(fmt::format("{}: {}", list[ids[bad]].id, error->message));
      hs_free_compile_error(error);
      expressions.erase(expressions.begin() + static_cast<std::ptrdiff_t>(bad));
      flags.erase(flags.begin() + static_cast<std::ptrdiff_t>(bad));
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(bad));
    }
    if (!errors.empty() || database_ == nullptr) return;
    hs_scratch_t* prototype = nullptr;
    if (hs_alloc_scratch(database_, &prototype) != HS_SUCCESS) {
      errors.emplace_back("vectorscan: cannot allocate scratch space");
      return;
    }
    scratch_ = std::make_unique<ScratchPool>(prototype);
  }

  ~VectorscanMatcher() override {
    scratch_.reset();
    hs_free_database(database_);
  }
  VectorscanMatcher(const VectorscanMatcher&) = delete;
  VectorscanMatcher& operator=(const VectorscanMatcher&) = delete;

 protected:
  void scan(std::string_view folded, std::vector<char>& matched) const override {
    if (database_ == nullptr || folded.empty()) return;
    // HS_FLAG_UTF8 assumes valid UTF-8; fold_text() output is, anything else
    // is folded first rather than handed over.
    std::string repaired;
    if (!valid_utf8(folded)) {
      repaired = fold_text(folded);
      folded = repaired;
    }
    hs_scratch_t* scratch = scratch_->acquire();
    if (scratch == nullptr) return;  // out of memory: no evidence, never a crash
    auto on_match = [](unsigned id, unsigned long long, unsigned long long, unsigned, void* context) -> int {
      (*static_cast<std::vector<char>*>(context))[id] = 1;
      return 0;
    };
    hs_scan(database_, folded.data(), static_cast<unsigned>(std::min<std::size_t>(folded.size(), UINT32_MAX)), 0,
            scratch, on_match, &matched);
    scratch_->release(scratch);
  }

 private:
  hs_database_t* database_ = nullptr;
  std::unique_ptr<ScratchPool> scratch_;
};

}  // namespace

std::string_view to_string(MatcherEngine engine) {
  return engine == MatcherEngine::vectorscan ? "vectorscan" : "re2_set";
}

PhraseMatcherBuild PhraseMatcher::build(std::vector<config::PhraseEntry> entries, MatcherEngine engine) {
  PhraseMatcherBuild result;
  std::shared_ptr<const PhraseMatcher> matcher;
  if (engine == MatcherEngine::vectorscan) {
    matcher = std::make_shared<VectorscanMatcher>(std::move(entries), result.errors);
  } else {
    matcher = std::make_shared<Re2SetMatcher>(std::move(entries), result.errors);
  }
  if (result.errors.empty()) result.matcher = std::move(matcher);
  return result;
}

std::vector<PhraseHit> PhraseMatcher::match(std::string_view folded) const {
  std::vector<char> matched(entries_.size(), 0);
  scan(folded, matched);
  std::vector<PhraseHit> hits;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (matched[i]) hits.push_back({entries_[i].id, entries_[i].weight, entries_[i].language});
  }
  return hits;
}

}  // namespace pushback::scoring
