// Counts over time as a sparse series of fixed-width buckets, and the compact
// byte codec the stored records use. A window of n buckets at bucket b covers
// buckets b-n+1 .. b, so windows slide by one bucket width.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushback::state {

using Bucket = std::uint32_t;  // seconds since the epoch / bucket width

class Series {
 public:
  // Adds `delta` (possibly negative) at `bucket`; an entry that reaches 0 goes.
  void add(Bucket bucket, std::int64_t delta);
  // From entries newest first (as records store them): equal buckets add up,
  // zero counts go. Linear, where add() per entry would be quadratic.
  static Series from_newest_first(std::vector<std::pair<Bucket, std::uint32_t>> entries);
  // Sum of the buckets in the window of `width` buckets ending at `now`.
  std::uint32_t sum(Bucket now, std::uint32_t width) const;
  std::uint64_t total() const;
  // Drops buckets that no window ending at `now` or later can reach.
  void prune(Bucket now, std::uint32_t longest);
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<Bucket, std::uint32_t>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<Bucket, std::uint32_t>> entries_;  // ascending bucket, count > 0
};

// Little-endian fixed ints and LEB128 varints into a byte string.
class ByteWriter {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void u32(std::uint32_t value);
  void u64(std::uint64_t value);
  void varint(std::uint64_t value);
  void bytes(std::string_view data) { out_.append(data); }
  // Buckets as distances back from `base` (a record's own latest bucket), so
  // they take a byte or two each.
  void series(const Series& series, Bucket base);
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Reads what ByteWriter wrote; on truncated input every read returns 0 and
// ok() turns false, so a damaged record decodes to zeros instead of crashing.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::uint64_t varint();
  std::string_view bytes(std::size_t size);
  Series series(Bucket base);
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }
  std::string_view rest() const { return in_; }  // what is not read yet

 private:
  std::string_view in_;
  bool ok_ = true;
};

// Big-endian, so that keys sharing a prefix sort together in LMDB.
void append_big_endian(std::string& out, std::uint64_t value);
std::uint64_t read_big_endian(std::string_view in);

}  // namespace pushback::state
