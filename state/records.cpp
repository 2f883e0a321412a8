// Encoding of the LMDB records. Pairs are the bulk of the store, so their
// times are varint distances from `touched` and their counts varints.
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

std::string make_pair_key(std::uint64_t domain, std::uint64_t recipient, std::uint64_t sender) {
  // Four bytes of sender: only senders of one domain writing to one
  // recipient share the rest of the key.
  std::string key = make_key(key_pair, domain, recipient);
  std::string tail;
  append_big_endian(tail, sender);
  key.append(tail, 0, 4);
  return key;
}

std::uint32_t short_sender(std::uint64_t sender) { return static_cast<std::uint32_t>(sender >> 32); }

std::uint32_t pair_key_sender(std::string_view key) {
  return key.size() < pair_key_size ? 0 : static_cast<std::uint32_t>(read_big_endian(key.substr(17, 4)));
}

std::string make_member_key(char kind, std::uint64_t owner, std::uint64_t member) {
  std::string key{key_member, kind};
  append_big_endian(key, owner);
  append_big_endian(key, member);
  return key;
}

std::string make_band_key(std::uint16_t algorithm, std::size_t band, std::uint64_t band_key) {
  std::string key{key_band, static_cast<char>(algorithm >> 8), static_cast<char>(algorithm & 0xff),
                  static_cast<char>(band)};
  append_big_endian(key, band_key);
  return key;
}

std::string OwnerRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(touched);
  out.u32(first_seen);
  out.varint(total);
  out.series(messages, touched / bucket_seconds);
  out.series(members, touched / bucket_seconds);
  out.varint(recent_tags.size());
  for (const auto& [tag, time] : recent_tags) {
    out.u32(tag);
    out.u32(time);
  }
  return std::move(out.str());
}

OwnerRecord OwnerRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  OwnerRecord record;
  record.touched = in.u32();
  record.first_seen = in.u32();
  record.total = in.varint();
  record.messages = in.series(record.touched / bucket_seconds);
  record.members = in.series(record.touched / bucket_seconds);
  auto tags = std::min<std::uint64_t>(in.varint(), 256);
  for (std::uint64_t i = 0; i < tags; ++i) {
    auto tag = in.u32();
    record.recent_tags.emplace_back(tag, in.u32());
  }
  return in.ok() ? record : OwnerRecord{};
}

std::string PairRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(touched);
  out.varint(touched - std::min(touched, first_seen));
  out.varint(last_seen == 0 ? 0 : touched - std::min(touched, last_seen) + 1);
  out.varint(last_reply == 0 ? 0 : touched - std::min(touched, last_reply) + 1);
  out.u8(dialogue ? 1 : 0);
  out.varint(total);
  out.varint(streak);
  out.varint(steps);
  out.u8(static_cast<std::uint8_t>(last_tag & 0xff));
  out.u8(static_cast<std::uint8_t>(last_tag >> 8));
  out.varint(templates.size());
  for (const auto& [id, sent] : templates) {
    out.u32(id);
    // Whole buckets back, so the bucket of the time is kept exactly.
    out.varint(touched / bucket_seconds - std::min(touched, sent) / bucket_seconds);
  }
  out.series(messages, touched / bucket_seconds);
  return std::move(out.str());
}

PairRecord PairRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  PairRecord record;
  record.touched = in.u32();
  record.first_seen = record.touched - static_cast<std::uint32_t>(in.varint());
  auto since_seen = static_cast<std::uint32_t>(in.varint());
  record.last_seen = since_seen == 0 ? 0 : record.touched - (since_seen - 1);
  auto since_reply = static_cast<std::uint32_t>(in.varint());
  record.last_reply = since_reply == 0 ? 0 : record.touched - (since_reply - 1);
  record.dialogue = (in.u8() & 1) != 0;
  record.total = static_cast<std::uint32_t>(in.varint());
  record.streak = static_cast<std::uint32_t>(in.varint());
  record.steps = static_cast<std::uint32_t>(in.varint());
  record.last_tag = in.u8();
  record.last_tag = static_cast<std::uint16_t>(record.last_tag | (in.u8() << 8));
  auto count = std::min<std::uint64_t>(in.varint(), 64);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto id = in.u32();
    auto back = static_cast<std::uint32_t>(in.varint());
    auto bucket = record.touched / bucket_seconds;
    record.templates.emplace_back(id, (bucket - std::min(bucket, back)) * bucket_seconds);
  }
  record.messages = in.series(record.touched / bucket_seconds);
  return in.ok() ? record : PairRecord{};
}

std::string TemplateRecord::encode(std::uint32_t bucket_seconds) const {
  ByteWriter out;
  out.u32(touched);
  out.u32(first_seen);
  out.varint(total);
  out.series(messages, touched / bucket_seconds);
  out.series(recipients, touched / bucket_seconds);
  out.series(senders, touched / bucket_seconds);
  out.u8(static_cast<std::uint8_t>(algorithm & 0xff));
  out.u8(static_cast<std::uint8_t>(algorithm >> 8));
  for (auto value : minhash) out.u32(value);
  return std::move(out.str());
}

TemplateRecord TemplateRecord::decode(std::string_view bytes, std::uint32_t bucket_seconds) {
  ByteReader in(bytes);
  TemplateRecord record;
  record.touched = in.u32();
  record.first_seen = in.u32();
  record.total = in.varint();
  record.messages = in.series(record.touched / bucket_seconds);
  record.recipients = in.series(record.touched / bucket_seconds);
  record.senders = in.series(record.touched / bucket_seconds);
  record.algorithm = in.u8();
  record.algorithm = static_cast<std::uint16_t>(record.algorithm | (in.u8() << 8));
  for (auto& value : record.minhash) value = in.u32();
  return in.ok() ? record : TemplateRecord{};
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
