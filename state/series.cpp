// Sparse bucket series and the record byte codec.
#include "state/series.hpp"

#include <algorithm>

namespace pushback::state {

void Series::add(Bucket bucket, std::int64_t delta) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), bucket,
                             [](const auto& entry, Bucket b) { return entry.first < b; });
  if (it == entries_.end() || it->first != bucket) {
    if (delta <= 0) return;
    entries_.insert(it, {bucket, static_cast<std::uint32_t>(std::min<std::int64_t>(delta, UINT32_MAX))});
    return;
  }
  std::int64_t value = std::clamp<std::int64_t>(it->second + delta, 0, UINT32_MAX);
  if (value == 0) {
    entries_.erase(it);
  } else {
    it->second = static_cast<std::uint32_t>(value);
  }
}

Series Series::from_newest_first(std::vector<std::pair<Bucket, std::uint32_t>> entries) {
  Series out;
  out.entries_.reserve(entries.size());
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->second == 0) continue;
    if (!out.entries_.empty() && out.entries_.back().first >= it->first) {
      // Not newer than the last one: only a damaged record does this.
      out.add(it->first, it->second);
      continue;
    }
    out.entries_.push_back(*it);
  }
  return out;
}

std::uint32_t Series::sum(Bucket now, std::uint32_t width) const {
  std::uint64_t total = 0;
  Bucket first = now >= width ? now - width + 1 : 0;
  for (const auto& [bucket, count] : entries_) {
    if (bucket >= first && bucket <= now) total += count;
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(total, UINT32_MAX));
}

std::uint64_t Series::total() const {
  std::uint64_t total = 0;
  for (const auto& entry : entries_) total += entry.second;
  return total;
}

void Series::prune(Bucket now, std::uint32_t longest) {
  Bucket first = now >= longest ? now - longest + 1 : 0;
  auto keep = std::lower_bound(entries_.begin(), entries_.end(), first,
                               [](const auto& entry, Bucket b) { return entry.first < b; });
  entries_.erase(entries_.begin(), keep);
}

void ByteWriter::u32(std::uint32_t value) {
  for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(value >> (8 * i)));
}

void ByteWriter::u64(std::uint64_t value) {
  for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(value >> (8 * i)));
}

void ByteWriter::varint(std::uint64_t value) {
  while (value >= 0x80) {
    u8(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  u8(static_cast<std::uint8_t>(value));
}

void ByteWriter::series(const Series& series, Bucket base) {
  // Newest first: each entry is its distance from the one after it, doubled,
  // plus one when a count other than 1 follows (most buckets of a pair hold 1).
  varint(series.entries().size());
  Bucket next = base;
  for (auto it = series.entries().rbegin(); it != series.entries().rend(); ++it) {
    Bucket bucket = std::min(it->first, next);
    bool single = it->second == 1;
    varint((static_cast<std::uint64_t>(next - bucket) << 1) | (single ? 0 : 1));
    if (!single) varint(it->second);
    next = bucket;
  }
}

std::uint8_t ByteReader::u8() {
  if (in_.empty()) {
    ok_ = false;
    return 0;
  }
  auto value = static_cast<std::uint8_t>(in_.front());
  in_.remove_prefix(1);
  return value;
}

std::uint32_t ByteReader::u32() {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(u8()) << (8 * i);
  return value;
}

std::uint64_t ByteReader::u64() {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(u8()) << (8 * i);
  return value;
}

std::uint64_t ByteReader::varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    std::uint8_t byte = u8();
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  ok_ = false;
  return 0;
}

std::string_view ByteReader::bytes(std::size_t size) {
  if (in_.size() < size) {
    ok_ = false;
    in_ = {};
    return {};
  }
  auto out = in_.substr(0, size);
  in_.remove_prefix(size);
  return out;
}

Series ByteReader::series(Bucket base) {
  std::vector<std::pair<Bucket, std::uint32_t>> newest_first;
  auto count = varint();
  newest_first.reserve(std::min<std::uint64_t>(count, in_.size()));
  Bucket bucket = base;
  for (std::uint64_t i = 0; i < count && ok_; ++i) {
    auto step = varint();
    bucket -= std::min(bucket, static_cast<Bucket>(std::min<std::uint64_t>(step >> 1, UINT32_MAX)));
    auto value = (step & 1) != 0 ? varint() : 1;
    newest_first.emplace_back(bucket, static_cast<std::uint32_t>(std::min<std::uint64_t>(value, UINT32_MAX)));
  }
  return Series::from_newest_first(std::move(newest_first));
}

void append_big_endian(std::string& out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
}

std::uint64_t read_big_endian(std::string_view in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && i < in.size(); ++i) {
    value = (value << 8) | static_cast<std::uint8_t>(in[i]);
  }
  return value;
}

}  // namespace pushback::state
