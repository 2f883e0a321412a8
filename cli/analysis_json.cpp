// JSON rendering of analysis results. Field names are part of the interface:
// add fields, never rename them.
#include "cli/analysis_json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace pushback::cli {

namespace {

const char* kind_name(scoring::MarkerKind kind) {
  switch (kind) {
    case scoring::MarkerKind::platform_header: return "platform_header";
    case scoring::MarkerKind::tracking_pixel: return "tracking_pixel";
    case scoring::MarkerKind::link_tracking: return "link_tracking";
    case scoring::MarkerKind::booking_link: return "booking_link";
  }
  return "unknown";
}

double finite(double value) { return std::isfinite(value) ? value : 0.0; }

}  // namespace

std::string hex64(std::uint64_t value) { return fmt::format("{:016x}", value); }

nlohmann::json symbols_to_json(const std::vector<scoring::Symbol>& symbols) {
  auto out = nlohmann::json::array();
  for (const auto& symbol : symbols) {
    out.push_back({{"name", symbol.name}, {"score", finite(symbol.score)}, {"reason", symbol.reason}});
  }
  return out;
}

nlohmann::json analysis_to_json(const scoring::Analysis& analysis, bool explain) {
  const auto& fp = analysis.text.fingerprint;
  nlohmann::json fingerprint = {{"algorithm", fp.algorithm},
                                {"empty", fp.empty},
                                {"tokens", fp.token_count},
                                {"template_key", hex64(fp.skeleton_hash)},
                                {"minhash", fp.minhash}};
  if (explain) {
    auto bands = nlohmann::json::array();
    for (auto key : fp.band_keys) bands.push_back(hex64(key));
    fingerprint["band_keys"] = bands;
  }
  auto phrases = nlohmann::json::array();
  for (const auto& hit : analysis.phrases) {
    phrases.push_back({{"id", hit.id}, {"weight", hit.weight}, {"language", hit.language}});
  }
  auto markers = nlohmann::json::array();
  for (const auto& finding : analysis.markers) {
    markers.push_back({{"kind", kind_name(finding.kind)},
                       {"id", finding.id},
                       {"platform", finding.platform},
                       {"weight", finding.weight},
                       {"reason", finding.reason}});
  }
  nlohmann::json reply = {{"reply_prefixes", analysis.reply.subject.replies},
                          {"forward_prefixes", analysis.reply.subject.forwards},
                          {"in_reply_to", analysis.reply.in_reply_to.ids},
                          {"references", analysis.reply.references.ids}};
  nlohmann::json out = {{"subject", analysis.text.subject},
                        {"fingerprint", fingerprint},
                        {"phrases", phrases},
                        {"markers", markers},
                        {"reply", reply},
                        {"personal", {{"from_person", analysis.text.from_person},
                                      {"names_recipient", analysis.text.names_recipient},
                                      {"quotes_third_party", analysis.text.quotes_third_party}}},
                        {"limits_hit", analysis.limits_hit},
                        {"symbols", symbols_to_json(analysis.symbols)},
                        {"score", finite(scoring::total_score(analysis.symbols))}};
  // What would link this sender to a campaign of other mailboxes.
  auto evidence = nlohmann::json::array();
  for (const auto& item : analysis.campaign.items) {
    evidence.push_back({{"kind", scoring::to_string(item.kind)}, {"value", item.value}});
  }
  out["campaign_evidence"] = evidence;
  // The text model's probability, null without a model or when it failed.
  out["cold_pitch"] = analysis.cold_pitch ? nlohmann::json(*analysis.cold_pitch) : nlohmann::json(nullptr);
  if (explain) {
    out["new_text"] = analysis.text.new_text;
    out["from_html"] = analysis.text.from_html;
  }
  return out;
}

}  // namespace pushback::cli
