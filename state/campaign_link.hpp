// Which campaign a sender belongs to, from the evidence its first message
// shares with the campaigns already known: template lineage (quoting a step
// the recipient got from the campaign) links alone; otherwise two
// independent families of evidence must point at the same campaign (a brand
// alone, a display name alone, the same template alone or a shared host
// never links). Both backends gather the candidates; this decides, and says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scoring/campaign_evidence.hpp"

namespace pushback::state {

struct LinkCandidate {
  std::uint32_t campaign = 0;
  bool lineage = false;  // the message quotes a step the recipient already got from the campaign
  std::vector<scoring::EvidenceKind> kinds;      // evidence pointing at it, each kind once
};

struct LinkDecision {
  std::uint32_t campaign = 0;  // 0: no link; the sender starts a campaign of its own
  std::string linked_by;       // "template lineage", "brand, display name", ...
};

// Families needed to link without lineage.
inline constexpr unsigned link_families = 2;

// A piece of evidence that this many live campaigns share (a tracking host
// of an ESP missing from the shared list, a brand word many firms use) says
// nothing about who sends.
inline constexpr std::size_t shared_evidence_campaigns = 3;

unsigned family_count(const std::vector<scoring::EvidenceKind>& kinds);

// The candidate with lineage, else the one with the most families (at least
// link_families), else none. Ties go to the candidate listed first.
LinkDecision choose_campaign(const std::vector<LinkCandidate>& candidates);

// Brands this long or longer also link one edit apart (a letter added,
// dropped, changed or two swapped): scoring::lookalike_brands().
inline constexpr std::size_t lookalike_brand_letters = 6;

// The brand with each letter left out in turn, each once; none for a brand
// shorter than lookalike_brand_letters. Two brands one edit apart share a
// variant, or one is a variant of the other.
std::vector<std::string> brand_variants(std::string_view brand);

// Adds `kind` to the candidate for `campaign`, creating it.
void note_evidence(std::vector<LinkCandidate>& candidates, std::uint32_t campaign, scoring::EvidenceKind kind);
void note_lineage(std::vector<LinkCandidate>& candidates, std::uint32_t campaign);

}  // namespace pushback::state
