// The binary records of the LMDB store: key layouts and compact values. Every
// value starts with a 32-bit "touched" time so the sweep can expire any record
// without knowing its kind (LSH bands excepted: they live as long as their
// cluster). Times are seconds since the epoch, 0 = never; other times in a
// record are varint distances back from "touched".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/fingerprint.hpp"
#include "state/series.hpp"

namespace pushback::state::detail {

// Key prefixes (first byte of every key). Hashes in keys are cut to the bytes
// they need: a key names its record among neighbours that share the rest.
inline constexpr char key_sender = 'S';    // 'S' sender address (clear)       -> OwnerRecord
inline constexpr char key_domain = 'D';    // 'D' sender domain (clear)        -> OwnerRecord
// Pairs sort by sender domain, then recipient: the pairs of one domain with
// one recipient are neighbours, so the domain's distinct recipients need no
// records of their own.
inline constexpr char key_pair = 'P';      // 'P' domain (4 bytes), recipient (5), sender (4) -> PairRecord
inline constexpr char key_member = 'M';    // 'M' kind, owner id (4), member (4) -> u32 touched
inline constexpr char key_template = 'T';  // 'T' cluster id (4)               -> TemplateRecord
inline constexpr char key_band = 'L';      // 'L' band, band key with algorithm (4) -> u32 cluster id (no time:
                                           //     the sweep removes a band whose cluster is gone)
inline constexpr char key_sent_id = 'I';   // 'I' hash(message id we sent)     -> u32 touched
inline constexpr char key_allow = 'A';     // 'A' address or domain            -> u32 added
inline constexpr char key_meta = 'm';      // 'm' name                         -> value
inline constexpr char key_campaign = 'C';  // 'C' campaign id (4)              -> CampaignRecord
inline constexpr char key_campaign_pair = 'Q';  // 'Q' campaign id (4), recipient (5) -> CampaignPairRecord
inline constexpr char key_organisation = 'O';  // 'O' keyed hash of a brand (8), recipient (5) -> u32 last reply
inline constexpr char key_evidence = 'E';  // 'E' kind, keyed hash of the value (8) -> EvidenceRecord
inline constexpr char key_campaign_links = 'K';  // 'K' campaign id (4) -> CampaignLinksRecord (no expiry of
                                                 //     its own: lives as long as its campaign)

inline constexpr char member_template_sender = 's';

// Bytes of each hash in a pair key: 32 bits tell the domains apart (a
// collision only merges two domains' distinct-recipient counts), 40 bits the
// recipients of one sender, 32 bits the senders of one domain.
inline constexpr std::size_t pair_domain_bytes = 4;
inline constexpr std::size_t pair_recipient_bytes = 5;
inline constexpr std::size_t pair_sender_bytes = 4;
inline constexpr std::size_t pair_key_size = 1 + pair_domain_bytes + pair_recipient_bytes + pair_sender_bytes;

std::string make_key(char prefix, std::string_view text);
std::string make_key(char prefix, std::uint64_t a);
std::string make_key(char prefix, std::uint64_t a, std::uint64_t b);
std::string make_pair_key(std::uint64_t domain, std::uint64_t recipient, std::uint64_t sender);
// Prefixes of pair keys: all pairs of a domain, or of a domain with one recipient.
std::string make_pair_prefix(std::uint64_t domain);
std::string make_pair_prefix(std::uint64_t domain, std::uint64_t recipient);
// The sender part of a pair key, as make_pair_key() stores it.
std::uint32_t pair_key_sender(std::string_view key);
// The recipient part of a pair key (the leading bytes of the recipient hash).
std::uint64_t pair_key_recipient(std::string_view key);
std::uint32_t short_sender(std::uint64_t sender);
std::string make_template_key(std::uint32_t id);
std::string make_member_key(char kind, std::uint32_t owner, std::uint64_t member);
std::string make_band_key(std::uint16_t algorithm, std::size_t band, std::uint64_t band_key);
std::string make_campaign_key(std::uint32_t id);
std::string make_campaign_pair_key(std::uint32_t campaign, std::uint64_t recipient);
std::string make_campaign_links_key(std::uint32_t campaign);
std::string make_evidence_key(char kind, std::uint64_t value_hash);
std::string make_organisation_key(std::uint64_t brand_hash, std::uint64_t recipient);

// Records hold series relative to their own latest bucket; the width of a
// bucket is a setting, so decoding needs it.
inline constexpr std::uint32_t default_bucket_seconds = 3600;

// A sender or a sender domain.
struct OwnerRecord {
  std::uint32_t touched = 0;
  std::uint32_t first_seen = 0;
  std::uint64_t total = 0;
  Series messages;
  Series members;  // distinct recipients, each at the bucket of its latest message
  // Dedup tags and times of the sender's latest messages: a copy of a message
  // whose recipients were split over several deliveries is one message.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> recent_tags;
  std::uint32_t campaign = 0;  // senders only: the campaign the address belongs to (0: none yet)

  std::string encode(std::uint32_t bucket_seconds) const;
  static OwnerRecord decode(std::string_view bytes, std::uint32_t bucket_seconds);
};

struct PairRecord {
  std::uint32_t touched = 0;     // max(last_seen, last_reply)
  std::uint32_t first_seen = 0;  // first contact in either direction
  std::uint32_t last_seen = 0;   // last inbound message; 0 if none
  std::uint32_t last_reply = 0;  // last outbound message; 0 if none
  bool dialogue = false;
  std::uint32_t total = 0;
  std::uint32_t streak = 0;
  std::uint32_t steps = 0;
  std::uint16_t last_tag = 0;  // dedup tag of the last message: a retry repeats it
  // Templates sent to this recipient, oldest first, capped: cluster id and
  // when it was last sent (the template's distinct-recipient count moves
  // with it, so templates need no member records of their own).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> templates;
  Series messages;

  std::string encode(std::uint32_t bucket_seconds) const;
  static PairRecord decode(std::string_view bytes, std::uint32_t bucket_seconds);
};

// A template keeps 16 bits of each MinHash value of its first member: a
// value then matches by chance once in 65,536, which moves the estimated
// Jaccard similarity by about 0.001.
inline constexpr unsigned template_minhash_bits = 16;
inline constexpr std::uint32_t template_minhash_mask = (1u << template_minhash_bits) - 1;

struct TemplateRecord {
  std::uint32_t touched = 0;
  std::uint32_t first_seen = 0;
  std::uint64_t total = 0;
  Series messages;
  Series recipients;
  Series senders;
  std::uint16_t algorithm = 0;
  // The cluster's first member, the low `template_minhash_bits` of each value.
  std::array<std::uint32_t, scoring::minhash_size> minhash{};
  std::uint32_t campaign = 0;  // the campaign of its first member: template lineage

  std::string encode(std::uint32_t bucket_seconds) const;
  static TemplateRecord decode(std::string_view bytes, std::uint32_t bucket_seconds);
};

// Mailboxes and domains a campaign record lists (short hashes); beyond these
// a campaign still grows, its counts of mailboxes and domains stop.
inline constexpr std::size_t campaign_mailboxes_kept = 32;
inline constexpr std::size_t campaign_domains_kept = 16;
inline constexpr std::size_t campaign_pair_senders_kept = 16;

struct CampaignRecord {
  std::uint32_t touched = 0;
  std::uint32_t first_seen = 0;
  std::uint64_t total = 0;
  Series messages;
  Series members;  // distinct recipients, each at the bucket of its latest message
  // The first mailbox: while it is the only one, its pairs are the
  // campaign's view of each recipient, and a second mailbox starts each
  // recipient's campaign pair from them.
  std::uint64_t primary_domain = 0;  // hashes as the pair keys take them
  std::uint64_t primary_sender = 0;
  std::vector<std::uint32_t> mailboxes;  // short sender hashes, capped
  std::vector<std::uint32_t> domains;    // short domain hashes, capped
  std::string brand;

  std::string encode(std::uint32_t bucket_seconds) const;
  static CampaignRecord decode(std::string_view bytes, std::uint32_t bucket_seconds);
};

// One recipient's view of a campaign over all its mailboxes: the pair
// fields summed over them, and which mailboxes wrote.
struct CampaignPairRecord {
  PairRecord pair;
  std::vector<std::uint32_t> senders;  // short sender hashes, capped

  std::string encode(std::uint32_t bucket_seconds) const;
  static CampaignPairRecord decode(std::string_view bytes, std::uint32_t bucket_seconds);
};

// Why each mailbox joined a campaign after its first (campaign_link.hpp):
// a count per reason over every join, and the latest joins themselves, for
// the console and `pushback inspect`. Written only when a mailbox joins.
inline constexpr std::size_t campaign_link_reasons_kept = 8;
inline constexpr std::size_t campaign_joins_kept = 16;

struct CampaignLinksRecord {
  struct Join {
    std::uint32_t when = 0;
    std::string mailbox;    // the address that joined (an external sender, kept in clear as 'S' keys are)
    std::string linked_by;  // "template lineage", "brand, display name", ...
  };
  std::uint32_t touched = 0;
  std::vector<std::pair<std::string, std::uint32_t>> reasons;  // reason, joins; most joins first
  std::vector<Join> joins;                                      // oldest first

  // Counts the join and keeps it among the latest.
  void add(std::uint32_t now, std::string_view mailbox, std::string_view linked_by);
  std::string encode() const;
  static CampaignLinksRecord decode(std::string_view bytes);
};

// Campaigns an evidence key names, most recent first: a brand or a host two
// organisations share points at both, and one that many campaigns share is
// shared infrastructure, not evidence (campaign_link.hpp).
inline constexpr std::size_t evidence_campaigns_kept = 4;

struct EvidenceRecord {
  std::uint32_t touched = 0;
  std::vector<std::uint32_t> campaigns;

  std::string encode() const;
  static EvidenceRecord decode(std::string_view bytes);
};

std::string encode_u32(std::uint32_t value);
std::uint32_t decode_u32(std::string_view bytes);  // first 4 bytes, little-endian; 0 if short

}  // namespace pushback::state::detail
