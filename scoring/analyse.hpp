// analyse(): raw message in, evidence out. Pure: no I/O, no globals, so the
// milter and `pushback scan` run exactly the same code. The Analyzer holds what
// is compiled once per configuration (the lexicon and marker matchers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "scoring/campaign_evidence.hpp"
#include "scoring/cold_pitch.hpp"
#include "scoring/markers.hpp"
#include "scoring/message.hpp"
#include "scoring/phrase_matcher.hpp"
#include "scoring/reply_evidence.hpp"
#include "scoring/symbol.hpp"
#include "scoring/text_features.hpp"

namespace pushback::scoring {

struct Analysis {
  TextFeatures text;
  std::vector<PhraseHit> phrases;       // views into the Analyzer that produced them
  std::vector<MarkerFinding> markers;
  ReplyEvidence reply;
  std::vector<Symbol> symbols;          // the analysis-only symbols, with weights applied
  std::vector<std::string> limits_hit;  // named limits that truncated the input
  CampaignEvidence campaign;            // who runs the sequence: read by the state layer
  std::optional<double> cold_pitch;     // the text model's probability; none without a model
  bool model_failed = false;            // the model threw: logged by the caller, no symbol
};

class Analyzer;

struct AnalyzerBuild {
  std::shared_ptr<const Analyzer> analyzer;  // null when there are errors
  std::vector<std::string> errors;
  bool ok() const { return analyzer != nullptr; }
};

class Analyzer {
 public:
  // Compiles the configuration's lexicon and markers (which config/ loaded).
  static AnalyzerBuild build(const config::Config& config);

  Analysis analyse(const Message& message) const;

 private:
  Analyzer() = default;
  void add_cold_pitch(Analysis& result) const;
  std::shared_ptr<const PhraseMatcher> phrases_;
  std::shared_ptr<const MarkerMatcher> markers_;
  std::shared_ptr<const config::CampaignIdentityData> campaign_identity_;
  std::shared_ptr<const ColdPitchModel> cold_pitch_;  // null: no model configured
  double cold_pitch_limit_ = 1.0;
  config::SymbolWeights weights_;
  TextLimits limits_;
};

}  // namespace pushback::scoring
