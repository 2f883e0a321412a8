// Encoding of the LMDB records. Pairs are the bulk of the store, so their
// keys hold only as many hash bytes as they need, their times are varint
// distances from `touched`, their counts varints and their flags one byte.
#include "state/records.hpp"

#include <algorithm>

namespace pushback::state::detail {

std::string make_key(char prefix, std::string_view text) {
  std::string key(1, prefix);
  key.append(text);
  return key;
}

std::string make_key(char prefix, std::uint64_t a) {
  std::string key(1, prefix);
  append_big_endian(key, a);
  return key;
}

std::string make_key(char prefix, std::uint64_t a, std::uint64_t b) {
  std::string key = make_key(prefix, a);
  append_big_endian(key, b);
  return key;
}

namespace {

// The leading `bytes` bytes of `value`, big-endian.
void append_leading(std::string& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (56 - 8 * i)));
}

}  // namespace

std::string make_pair_prefix(std::uint64_t domain) {
  std::string key(1, key_pair);
  append_leading(key, domain, pair_domain_bytes);
  return key;
}

std::string make_pair_prefix(std::uint64_t domain, std::uint64_t recipient) {
  std::string key = make_pair_prefix(domain);
  append_leading(key, recipient, pair_recipient_bytes);
  return key;
}

std::string make_pair_key(std::uint64_t domain, std::uint64_t recipient, std::uint64_t sender) {
  std::string key = make_pair_prefix(domain, recipient);
  append_leading(key, sender, pair_sender_bytes);
  return key;
}

std::uint32_t short_sender(std::uint64_t sender) { return static_cast<std::uint32_t>(sender >> 32); }

std::uint32_t pair_key_sender(std::string_view key) {
  if (key.size() < pair_key_size) return 0;
  return static_cast<std::uint32_t>(read_big_endian(key.substr(1 + pair_domain_bytes + pair_recipient_bytes, 4)));
}

std::uint64_t pair_key_recipient(std::string_view key) {
  if (key.size() < pair_key_size) return 0;
  return read_big_endian(key.substr(1 + pair_domain_bytes, pair_recipient_bytes));
}

std::string make_template_key(std::uint32_t id) {
  std::string key(1, key_template);
  append_leading(key, std::uint64_t{id} << 32, 4);
  return key;
}

std::string make_member_key(char kind, std::uint32_t owner, std::uint64_t member) {
  std::string key{key_member, kind};
  append_leading(key, std::uint64_t{owner} << 32, 4);
  append_leading(key, member, 4);
  return key;
}

std::string make_band_key(std::uint16_t algorithm, std::size_t band, std::uint64_t band_key) {
  // The algorithm is mixed into the band key: bands of two algorithms never
  // share an entry except by a 32-bit chance, and a candidate is checked
  // against its cluster's algorithm anyway.
  std::string key{key_band, static_cast<char>(band)};
  append_leading(key, band_key ^ (std::uint64_t{algorithm} * 0x9e3779b97f4a7c15ull), 4);
  return key;
}

std::string make_campaign_key(std::uint32_t id) {
  std::string key(1, key_campaign);
  append_leading(key, std::uint64_t{id} << 32, 4);
  return key;
}

std::string make_campaign_links_key(std::uint32_t campaign) {
  std::string key(1, key_campaign_links);
  append_leading(key, std::uint64_t{campaign} << 32, 4);
  return key;
}

std::string make_campaign_pair_key(std::uint32_t campaign, std::uint64_t recipient) {
  std::string key(1, key_campaign_pair);
  append_leading(key, std::uint64_t{campaign} << 32, 4);
  append_leading(key, recipient, pair_recipient_bytes);
  return key;
}

std::string make_organisation_key(std::uint64_t brand_hash, std::uint64_t recipient) {
  std::string key(1, key_organisation);
  append_big_endian(key, brand_hash);
  append_leading(key, recipient, pair_recipient_bytes);
  return key;
}

std::string make_evidence_key(char kind, std::uint64_t value_hash) {
  std::string key{key_evidence, kind};
  append_big_endian(key, value_hash);
  return key;
}

namespace {

// The head that owner and campaign records share: when touched and first
// seen, the total, and the message and member series.
template <typename Record>
void write_counts(ByteWriter& out, const Record& record, std::uint32_t bucket_seconds) {
  out.u32(record.touched);
  out.varint(record.touched - std::min(record.touched, record.first_seen));
  out.varint(record.total);
  out.series(record.messages, record.touched / bucket_seconds);
  out.series(record.members, record.touched / bucket_seconds);
}

template <typename Record>
void read_counts(ByteReader& in, Record& record, std::uint32_t bucket_seconds) {
  record.touched = in.u32();
  record.first_seen = record.touched - static_cast<std::uint32_t>(in.varint());
  record.total = in.varint();
  record.messages = in.series(record.touched / bucket_seconds);
  record.members = in.series(record.touched / bucket_seconds);
}

}  // namespace

std::string OwnerRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  write_counts(out, *this, bucket_seconds);
  out.varint(recent_tags.size());
  for (const auto& [tag, time] : recent_tags) {
    out.u32(tag);
    out.varint(touched - std::min(touched, time));
  }
  out.u32(campaign);
  return std::move(out.str());
}

OwnerRecord OwnerRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  OwnerRecord record;
  read_counts(in, record, bucket_seconds);
  auto tags = std::min<std::uint64_t>(in.varint(), 256);
  for (std::uint64_t i = 0; i < tags; ++i) {
    auto tag = in.u32();
    record.recent_tags.emplace_back(tag, record.touched - static_cast<std::uint32_t>(in.varint()));
  }
  record.campaign = in.u32();
  return in.ok() ? record : OwnerRecord{};
}

namespace {

// Flags byte of a pair record.
constexpr std::uint8_t pair_replied = 0x01;  // a back-to-last-reply varint follows
constexpr std::uint8_t pair_dialogue = 0x02;
constexpr std::uint8_t pair_streak_total = 0x04;  // streak == total: no streak varint
constexpr std::uint8_t pair_steps_kept = 0x08;    // steps == templates kept: no steps varint
constexpr std::uint8_t pair_newest_now = 0x10;    // newest template in touched's bucket: no varint for it
constexpr unsigned pair_kept_shift = 5;           // bits 5-7: templates kept, 7 = 7 + a varint

}  // namespace

// Layout: u32 touched; the flags byte; varints: [templates kept - 7], back to
// first seen, back to last seen + 1 (0 = never), [back to last reply], total,
// [streak], [steps]; u16 tag; per template, oldest first, u32 id and buckets
// back (left out for the newest when the flag says so); the message series.
// The bracketed fields are there only when the flags say so: a one-way pair
// whose every message carried a new template needs none of them.
std::string PairRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(touched);
  const Bucket bucket = touched / bucket_seconds;
  auto back_of = [&](std::uint32_t time) { return bucket - std::min(touched, time) / bucket_seconds; };
  const std::size_t kept = templates.size();
  std::uint8_t flags = static_cast<std::uint8_t>(std::min<std::size_t>(kept, 7) << pair_kept_shift);
  if (last_reply != 0) flags |= pair_replied;
  if (dialogue) flags |= pair_dialogue;
  if (streak == total) flags |= pair_streak_total;
  if (steps == kept) flags |= pair_steps_kept;
  if (kept != 0 && back_of(templates.back().second) == 0) flags |= pair_newest_now;
  out.u8(flags);
  if (kept >= 7) out.varint(kept - 7);
  out.varint(touched - std::min(touched, first_seen));
  out.varint(last_seen == 0 ? 0 : touched - std::min(touched, last_seen) + 1);
  if (last_reply != 0) out.varint(touched - std::min(touched, last_reply));
  out.varint(total);
  if (streak != total) out.varint(streak);
  if (steps != kept) out.varint(steps);
  out.u8(static_cast<std::uint8_t>(last_tag & 0xff));
  out.u8(static_cast<std::uint8_t>(last_tag >> 8));
  for (std::size_t i = 0; i < kept; ++i) {
    out.u32(templates[i].first);
    // Whole buckets back, so the bucket of the time is kept exactly.
    if (i + 1 < kept || (flags & pair_newest_now) == 0) out.varint(back_of(templates[i].second));
  }
  out.series(messages, bucket);
  return std::move(out.str());
}

PairRecord PairRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  PairRecord record;
  record.touched = in.u32();
  const std::uint8_t flags = in.u8();
  std::uint64_t kept = flags >> pair_kept_shift;
  if (kept == 7) kept = std::min<std::uint64_t>(7 + in.varint(), 64);
  record.dialogue = (flags & pair_dialogue) != 0;
  record.first_seen = record.touched - static_cast<std::uint32_t>(in.varint());
  auto since_seen = static_cast<std::uint32_t>(in.varint());
  record.last_seen = since_seen == 0 ? 0 : record.touched - (since_seen - 1);
  if ((flags & pair_replied) != 0) record.last_reply = record.touched - static_cast<std::uint32_t>(in.varint());
  record.total = static_cast<std::uint32_t>(in.varint());
  record.streak = (flags & pair_streak_total) != 0 ? record.total : static_cast<std::uint32_t>(in.varint());
  record.steps =
      (flags & pair_steps_kept) != 0 ? static_cast<std::uint32_t>(kept) : static_cast<std::uint32_t>(in.varint());
  record.last_tag = in.u8();
  record.last_tag = static_cast<std::uint16_t>(record.last_tag | (in.u8() << 8));
  const Bucket bucket = record.touched / bucket_seconds;
  for (std::uint64_t i = 0; i < kept; ++i) {
    auto id = in.u32();
    bool newest_now = i + 1 == kept && (flags & pair_newest_now) != 0;
    auto back = newest_now ? 0 : static_cast<std::uint32_t>(in.varint());
    record.templates.emplace_back(id, (bucket - std::min(bucket, back)) * bucket_seconds);
  }
  record.messages = in.series(bucket);
  return in.ok() ? record : PairRecord{};
}

std::string TemplateRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(touched);
  out.varint(touched - std::min(touched, first_seen));
  out.varint(total);
  out.series(messages, touched / bucket_seconds);
  out.series(recipients, touched / bucket_seconds);
  out.series(senders, touched / bucket_seconds);
  out.u8(static_cast<std::uint8_t>(algorithm & 0xff));
  out.u8(static_cast<std::uint8_t>(algorithm >> 8));
  static_assert(template_minhash_bits == 16);
  for (auto value : minhash) {
    out.u8(static_cast<std::uint8_t>(value & 0xff));
    out.u8(static_cast<std::uint8_t>((value >> 8) & 0xff));
  }
  out.u32(campaign);
  return std::move(out.str());
}

TemplateRecord TemplateRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  TemplateRecord record;
  record.touched = in.u32();
  record.first_seen = record.touched - static_cast<std::uint32_t>(in.varint());
  record.total = in.varint();
  record.messages = in.series(record.touched / bucket_seconds);
  record.recipients = in.series(record.touched / bucket_seconds);
  record.senders = in.series(record.touched / bucket_seconds);
  record.algorithm = in.u8();
  record.algorithm = static_cast<std::uint16_t>(record.algorithm | (in.u8() << 8));
  for (auto& value : record.minhash) {
    value = in.u8();
    value |= static_cast<std::uint32_t>(in.u8()) << 8;
  }
  record.campaign = in.u32();
  return in.ok() ? record : TemplateRecord{};
}

namespace {

void write_ids(ByteWriter& out, const std::vector<std::uint32_t>& ids) {
  out.varint(ids.size());
  for (auto id : ids) out.u32(id);
}

std::vector<std::uint32_t> read_ids(ByteReader& in, std::size_t cap) {
  std::vector<std::uint32_t> ids;
  auto count = std::min<std::uint64_t>(in.varint(), cap);
  for (std::uint64_t i = 0; i < count; ++i) ids.push_back(in.u32());
  return ids;
}

}  // namespace

std::string CampaignRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  write_counts(out, *this, bucket_seconds);
  out.u64(primary_domain);
  out.u64(primary_sender);
  write_ids(out, mailboxes);
  write_ids(out, domains);
  out.varint(brand.size());
  out.bytes(brand);
  return std::move(out.str());
}

CampaignRecord CampaignRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  CampaignRecord record;
  read_counts(in, record, bucket_seconds);
  record.primary_domain = in.u64();
  record.primary_sender = in.u64();
  record.mailboxes = read_ids(in, campaign_mailboxes_kept);
  record.domains = read_ids(in, campaign_domains_kept);
  auto brand_size = std::min<std::uint64_t>(in.varint(), 253);
  record.brand = std::string(in.bytes(brand_size));
  return in.ok() ? record : CampaignRecord{};
}

// Layout: u32 touched (so the sweep reads it like any record), the senders,
// then the pair record.
std::string CampaignPairRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(pair.touched);
  write_ids(out, senders);
  out.bytes(pair.encode(bucket_seconds));
  return std::move(out.str());
}

CampaignPairRecord CampaignPairRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  CampaignPairRecord record;
  in.u32();
  record.senders = read_ids(in, campaign_pair_senders_kept);
  if (!in.ok()) return {};
  record.pair = PairRecord::decode(in.rest(), bucket_seconds);
  return record;
}

void CampaignLinksRecord::add(std::uint32_t now, std::string_view mailbox, std::string_view linked_by) {
  touched = std::max(touched, now);
  auto reason = std::find_if(reasons.begin(), reasons.end(), [&](const auto& entry) { return entry.first == linked_by; });
  if (reason != reasons.end()) {
    ++reason->second;
  } else if (reasons.size() < campaign_link_reasons_kept) {
    reasons.emplace_back(linked_by, 1);
  } else {
    ++reasons.back().second;  // full: the rarest reason stands for the rest
  }
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  joins.push_back({now, std::string(mailbox), std::string(linked_by)});
  if (joins.size() > campaign_joins_kept) joins.erase(joins.begin());
}

namespace {

constexpr std::size_t link_text_limit = 255;

void write_text(ByteWriter& out, std::string_view text) {
  text = text.substr(0, link_text_limit);
  out.varint(text.size());
  out.bytes(text);
}

std::string read_text(ByteReader& in) {
  auto size = std::min<std::uint64_t>(in.varint(), link_text_limit);
  return std::string(in.bytes(size));
}

}  // namespace

// Layout: u32 touched, the reasons (text, varint joins), the joins (varint
// distance back from touched, mailbox, reason).
std::string CampaignLinksRecord::encode() const {
  ByteWriter out;
  out.u32(touched);
  out.varint(reasons.size());
  for (const auto& [reason, count] : reasons) {
    write_text(out, reason);
    out.varint(count);
  }
  out.varint(joins.size());
  for (const auto& join : joins) {
    out.varint(touched - std::min(touched, join.when));
    write_text(out, join.mailbox);
    write_text(out, join.linked_by);
  }
  return std::move(out.str());
}

CampaignLinksRecord CampaignLinksRecord::decode(std::string_view bytes) {
  ByteReader in(bytes);
  CampaignLinksRecord record;
  record.touched = in.u32();
  auto reasons = std::min<std::uint64_t>(in.varint(), campaign_link_reasons_kept);
  for (std::uint64_t i = 0; i < reasons && in.ok(); ++i) {
    std::string reason = read_text(in);
    auto count = static_cast<std::uint32_t>(std::min<std::uint64_t>(in.varint(), UINT32_MAX));
    record.reasons.emplace_back(std::move(reason), count);
  }
  auto joins = std::min<std::uint64_t>(in.varint(), campaign_joins_kept);
  for (std::uint64_t i = 0; i < joins && in.ok(); ++i) {
    Join join;
    auto back = in.varint();
    join.when = back > record.touched ? 0 : record.touched - static_cast<std::uint32_t>(back);
    join.mailbox = read_text(in);
    join.linked_by = read_text(in);
    record.joins.push_back(std::move(join));
  }
  return in.ok() ? record : CampaignLinksRecord{};
}

std::string EvidenceRecord::encode() const {
  ByteWriter out;
  out.u32(touched);
  write_ids(out, campaigns);
  return std::move(out.str());
}

EvidenceRecord EvidenceRecord::decode(std::string_view bytes) {
  ByteReader in(bytes);
  EvidenceRecord record;
  record.touched = in.u32();
  record.campaigns = read_ids(in, evidence_campaigns_kept);
  return in.ok() ? record : EvidenceRecord{};
}

std::string encode_u32(std::uint32_t value) {
  ByteWriter out;
  out.u32(value);
  return std::move(out.str());
}

std::uint32_t decode_u32(std::string_view bytes) {
  ByteReader in(bytes.substr(0, 4));
  auto value = in.u32();
  return in.ok() ? value : 0;
}

}  // namespace pushback::state::detail
