// Multi-pattern matcher over the follow-up phrase lexicon: one pass over the
// folded text reports every lexicon entry that occurs, each once. Built once
// from the loaded lexicon, then shared by all milter threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/data_files.hpp"

namespace pushback::scoring {

// Both engines give the same hits; vectorscan is the default because it was
// measured faster (docs/performance.md, "Phrase matcher").
enum class MatcherEngine { vectorscan, re2_set };

inline constexpr MatcherEngine default_matcher_engine = MatcherEngine::vectorscan;

std::string_view to_string(MatcherEngine engine);

// One matched entry. The views point into the matcher and live as long as it.
struct PhraseHit {
  std::string_view id;
  double weight = 0;
  std::string_view language;
};

class PhraseMatcher;

struct PhraseMatcherBuild {
  std::shared_ptr<const PhraseMatcher> matcher;  // null when there are errors
  std::vector<std::string> errors;               // "id: why", one per refused pattern
  bool ok() const { return matcher != nullptr; }
};

class PhraseMatcher {
 public:
  // Compiles every pattern; a pattern the engine refuses is an error naming
  // its id (the loader has already checked them with RE2).
  static PhraseMatcherBuild build(std::vector<config::PhraseEntry> entries,
                                  MatcherEngine engine = default_matcher_engine);

  virtual ~PhraseMatcher() = default;
  PhraseMatcher(const PhraseMatcher&) = delete;
  PhraseMatcher& operator=(const PhraseMatcher&) = delete;

  // `folded` is the output of fold_text(). Hits come in lexicon order, each
  // entry at most once. Safe to call from many threads at once.
  std::vector<PhraseHit> match(std::string_view folded) const;

  MatcherEngine engine() const { return engine_; }
  const std::vector<config::PhraseEntry>& entries() const { return entries_; }

 protected:
  PhraseMatcher(std::vector<config::PhraseEntry> entries, MatcherEngine engine)
      : entries_(std::move(entries)), engine_(engine) {}

  // Sets matched[i] for every entry i that occurs in the text.
  virtual void scan(std::string_view folded, std::vector<char>& matched) const = 0;

 private:
  std::vector<config::PhraseEntry> entries_;
  MatcherEngine engine_;
};

}  // namespace pushback::scoring
