// The link rule between a new sender and the known campaigns.
#include "state/campaign_link.hpp"

#include <algorithm>

namespace pushback::state {

namespace {

LinkCandidate& candidate_for(std::vector<LinkCandidate>& candidates, std::uint32_t campaign) {
  auto found = std::find_if(candidates.begin(), candidates.end(),
                            [&](const LinkCandidate& c) { return c.campaign == campaign; });
  if (found != candidates.end()) return *found;
  candidates.push_back({campaign, false, {}});
  return candidates.back();
}

}  // namespace

std::vector<std::string> brand_variants(std::string_view brand) {
  std::vector<std::string> out;
  if (brand.size() < lookalike_brand_letters) return out;
  for (std::size_t i = 0; i < brand.size(); ++i) {
    std::string variant = std::string(brand.substr(0, i)) + std::string(brand.substr(i + 1));
    if (std::find(out.begin(), out.end(), variant) == out.end()) out.push_back(std::move(variant));
  }
  return out;
}

unsigned family_count(const std::vector<scoring::EvidenceKind>& kinds) {
  unsigned seen = 0;
  for (auto kind : kinds) seen |= 1u << static_cast<unsigned>(scoring::family_of(kind));
  return static_cast<unsigned>(__builtin_popcount(seen));
}

void note_evidence(std::vector<LinkCandidate>& candidates, std::uint32_t campaign, scoring::EvidenceKind kind) {
  if (campaign == 0) return;
  auto& kinds = candidate_for(candidates, campaign).kinds;
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
}

void note_lineage(std::vector<LinkCandidate>& candidates, std::uint32_t campaign) {
  if (campaign != 0) candidate_for(candidates, campaign).lineage = true;
}

LinkDecision choose_campaign(const std::vector<LinkCandidate>& candidates) {
  const LinkCandidate* best = nullptr;
  for (const auto& candidate : candidates) {
    if (candidate.lineage) {
      best = &candidate;
      break;
    }
    unsigned families = family_count(candidate.kinds);
    if (families >= link_families && (!best || families > family_count(best->kinds))) best = &candidate;
  }
  LinkDecision decision;
  if (!best) return decision;
  decision.campaign = best->campaign;
  if (best->lineage) decision.linked_by = "template lineage";
  for (auto kind : best->kinds) {
    if (!decision.linked_by.empty()) decision.linked_by += ", ";
    decision.linked_by += scoring::to_string(kind);
  }
  return decision;
}

}  // namespace pushback::state
