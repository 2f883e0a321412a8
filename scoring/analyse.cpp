// The analysers together: text and fingerprint, follow-up language, sequence
// tooling and reply evidence, turned into weighted symbols with reasons.
#include "scoring/analyse.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

// Reasons name at most this many matched entries, so a header stays short.
constexpr std::size_t max_reason_items = 3;

std::string list_reason(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_reason_items; ++i) {
    out += fmt::format("{}{}", i ? ", " : "", items[i]);
  }
  if (items.size() > max_reason_items) out += fmt::format(" and {} more", items.size() - max_reason_items);
  return out;
}

// One symbol for all findings of a kind: worth the strongest finding's weight.
void add_marker_symbol(const std::vector<MarkerFinding>& findings, MarkerKind kind, const char* name,
                       double symbol_weight, std::vector<Symbol>& symbols) {
  double strongest = 0;
  std::vector<std::string> reasons;
  for (const auto& finding : findings) {
    if (finding.kind != kind) continue;
    strongest = std::max(strongest, finding.weight);
    if (std::find(reasons.begin(), reasons.end(), finding.reason) == reasons.end()) reasons.push_back(finding.reason);
  }
  if (!reasons.empty()) symbols.push_back({name, symbol_weight * strongest, list_reason(reasons)});
}

}  // namespace

AnalyzerBuild Analyzer::build(const config::Config& config) {
  AnalyzerBuild result;
  std::shared_ptr<Analyzer> analyzer(new Analyzer());
  analyzer->weights_ = config.weights;
  if (!config.analysis.lexicon || !config.analysis.markers) {
    result.errors.push_back("the lexicon and markers were not loaded with the configuration");
    return result;
  }
  auto engine = config.analysis.phrase_engine == "re2_set" ? MatcherEngine::re2_set : MatcherEngine::vectorscan;
  auto phrases = PhraseMatcher::build(config.analysis.lexicon->phrases, engine);
  for (auto& error : phrases.errors) result.errors.push_back(config.analysis.phrases_file + ": " + error);
  auto markers = MarkerMatcher::build(*config.analysis.markers);
  for (auto& error : markers.errors) result.errors.push_back(config.analysis.markers_file + ": " + error);
  if (config.analysis.cold_pitch_model_payload) {
    auto model = ColdPitchModel::load(*config.analysis.cold_pitch_model_payload);
    if (model.model) {
      analyzer->cold_pitch_ = std::move(model.model);
    } else {
      result.errors.push_back(config.analysis.cold_pitch_model + " " + model.error);
    }
  }
  analyzer->cold_pitch_limit_ = config.symbol_limits.cold_pitch_probability;
  if (!result.errors.empty()) return result;
  analyzer->phrases_ = phrases.matcher;
  analyzer->markers_ = markers.matcher;
  // Without the data file no brand loses an affix and no host counts as shared.
  analyzer->campaign_identity_ = config.analysis.campaign_identity
                                     ? config.analysis.campaign_identity
                                     : std::make_shared<const config::CampaignIdentityData>();
  result.analyzer = std::move(analyzer);
  return result;
}

// COLD_PITCH: the model's probability times the weight, from the configured
// probability up. How far it counts (first-contact evidence, up to the tag
// line) is the decision's to say: decide.cpp.
void Analyzer::add_cold_pitch(Analysis& result) const {
  if (!cold_pitch_) return;
  result.cold_pitch = cold_pitch_->probability(model_input(result.text));
  if (!result.cold_pitch) {
    result.model_failed = true;
    return;
  }
  double p = *result.cold_pitch;
  if (p < cold_pitch_limit_) return;
  result.symbols.push_back({"COLD_PITCH", weights_.cold_pitch * p, fmt::format("p={:.2f}", p)});
}

Analysis Analyzer::analyse(const Message& message) const {
  Analysis result;
  result.text = extract_text_features(message, limits_);
  result.limits_hit = result.text.limits_hit;

  const Header* in_reply_to = message.find_header("In-Reply-To");
  const Header* references = message.find_header("References");
  result.reply = reply_evidence(result.text.subject, in_reply_to ? in_reply_to->value : "",
                                references ? references->value : "");

  // Follow-up wording counts where the author wrote it now: the subject and
  // the new text, not the quoted history.
  result.phrases = phrases_->match(fold_text(result.reply.subject.base + "\n" + result.text.written_text));
  if (!result.phrases.empty()) {
    double strongest = 0;
    std::vector<std::string> ids;
    for (const auto& hit : result.phrases) {
      strongest = std::max(strongest, hit.weight);
      ids.emplace_back(hit.id);
    }
    result.symbols.push_back({"FOLLOWUP_PHRASE", weights_.followup_phrase * strongest, list_reason(ids)});
  }

  result.markers = markers_->match(message, result.text.html_refs);
  add_marker_symbol(result.markers, MarkerKind::platform_header, "OUTREACH_PLATFORM", weights_.outreach_platform,
                    result.symbols);
  add_marker_symbol(result.markers, MarkerKind::tracking_pixel, "TRACKING_PIXEL", weights_.tracking_pixel,
                    result.symbols);
  add_marker_symbol(result.markers, MarkerKind::link_tracking, "LINK_TRACKING", weights_.link_tracking,
                    result.symbols);
  add_marker_symbol(result.markers, MarkerKind::booking_link, "BOOKING_LINK", weights_.booking_link, result.symbols);

  if (result.reply.subject.replies > 0 && !result.reply.has_thread_ids()) {
    result.symbols.push_back({"REPLY_WITHOUT_THREAD", weights_.reply_without_thread,
                              "Re: subject with no In-Reply-To or References"});
  }
  add_cold_pitch(result);
  result.campaign = campaign_evidence_of(message, result.text, *campaign_identity_, &markers_->markers());
  if (!result.limits_hit.empty()) {
    bool body = std::find(result.limits_hit.begin(), result.limits_hit.end(), "body_bytes") != result.limits_hit.end();
    result.symbols.push_back({body ? "BODY_TRUNCATED" : "INPUT_LIMITS", 0.0,
                              "analysed within limits: " + list_reason(result.limits_hit)});
  }
  return result;
}

}  // namespace pushback::scoring
