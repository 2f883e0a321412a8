// The evidence in one message of who runs the sequence it belongs to: what
// survives when a sales tool rotates the sending mailbox and domain. The
// state layer links a message to a campaign when two independent pieces
// agree (or the text continues a template the recipient already got); this
// file only reads them out of the message. Shared infrastructure (webmail,
// ESP tracking hosts, booking services) is never evidence by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/data_files.hpp"
#include "scoring/message.hpp"
#include "scoring/organisation.hpp"
#include "scoring/text_features.hpp"

namespace pushback::scoring {

// Pieces kept per message, and hosts among them: a hostile message gets
// bounded work and cannot flood the store with evidence keys.
inline constexpr std::size_t max_campaign_evidence = 12;
inline constexpr std::size_t max_evidence_hosts = 4;
inline constexpr std::size_t max_evidence_urls = 64;

enum class EvidenceKind : std::uint8_t {
  brand = 'b',         // brand of the sender's registrable domain (not shared)
  display_name = 'n',  // From: display name of two or more words
  signature = 's',     // the signature block, folded
  phone = 'p',         // a phone number in the signature
  reply_to = 'r',      // a Reply-To: address other than the sender's
  unsubscribe = 'u',   // the registrable domain of a List-Unsubscribe target (not shared)
  host = 'h',          // a link or image host of the sender's own (not shared, not a marker host)
  booking = 'k',       // a booking page on a shared booking service: host and first path segment
  platform_account = 'a',  // the sending account at a platform, from a header that carries it (X-MC-User)
  // Not read from messages: the store keys a campaign's brand with one letter
  // left out, so a lookalike one edit away finds it (state/campaign_link.hpp).
  brand_variant = 'v',
  // Not read from messages either: the same template as one the recipient
  // already got from the campaign (a resend from another mailbox). Weaker
  // than quoting that step: notices of one platform share templates too.
  same_template = 't',
};

// Independent families: pieces of one family say the same thing twice (a
// phone number is part of the signature), so a link needs two families. The
// display name (a header the tool sets) and the signature block (name,
// title, company and phone in the text) are apart: two people who share a
// common name do not share a signature.
enum class EvidenceFamily : std::uint8_t {
  organisation, persona, signature, reply_to, unsubscribe, infrastructure, platform, lineage
};

EvidenceFamily family_of(EvidenceKind kind);
std::string_view to_string(EvidenceKind kind);

struct EvidenceItem {
  EvidenceKind kind = EvidenceKind::brand;
  std::string value;  // lower case, stable across messages of one campaign
};

struct CampaignEvidence {
  Organisation sender;              // of the envelope sender, or From: when the envelope has none
  std::vector<EvidenceItem> items;  // at most max_campaign_evidence, each once
};

CampaignEvidence campaign_evidence_of(const Message& message, const TextFeatures& text,
                                      const config::CampaignIdentityData& data, const config::OutreachMarkers* markers);

}  // namespace pushback::scoring
