// MinHash over word shingles. Each shingle is hashed once with XXH3; the 64
// MinHash functions are multiply-shift hashes of that value, seeded from XXH3.
#include "scoring/fingerprint.hpp"

#include <xxhash.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace pushback::scoring {

namespace {

constexpr std::uint64_t shingle_seed = 0x70757368'6261636bULL;  // "pushback"
constexpr std::size_t band_rows = minhash_size / lsh_bands;
static_assert(minhash_size % lsh_bands == 0);

struct HashFunctions {
  std::array<std::uint64_t, minhash_size> multiply{};
  std::array<std::uint64_t, minhash_size> add{};
};

// Constant for the life of the process; derived, not configured.
const HashFunctions& hash_functions() {
  static const HashFunctions functions = [] {
    HashFunctions out;
    for (std::uint64_t i = 0; i < minhash_size; ++i) {
      out.multiply[i] = XXH3_64bits_withSeed(&i, sizeof i, shingle_seed + 1) | 1U;  // odd multipliers
      out.add[i] = XXH3_64bits_withSeed(&i, sizeof i, shingle_seed + 2);
    }
    return out;
  }();
  return functions;
}

// Offsets of the tokens, in one pass: shingles are byte ranges.
std::vector<std::pair<std::size_t, std::size_t>> token_ranges(std::string_view text) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  ranges.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), ' ')) + 1);
  const std::size_t size = text.size();
  std::size_t at = 0;
  while (true) {
    while (at < size && text[at] == ' ') ++at;
    if (at >= size) break;
    std::size_t begin = at;
    while (at < size && text[at] != ' ') ++at;
    ranges.emplace_back(begin, at);
  }
  return ranges;
}

// Not under ThreadSanitizer: the loader runs the resolver that picks a clone
// before TSan is set up, and TSan's instrumentation of it crashes at start.
#if defined(__SANITIZE_THREAD__)
#define PUSHBACK_HASH_CLONES
#else
#define PUSHBACK_HASH_CLONES [[gnu::target_clones("arch=x86-64-v4", "avx2", "default")]]
#endif

// The 64 values of each shingle hash folded into the signature. Cloned for
// AVX2 and AVX-512 (x86-64-v4), where the multiply-shift hashes vectorise;
// every clone gives the same values.
PUSHBACK_HASH_CLONES void add_hashes(const std::uint64_t* hashes, std::size_t count, std::uint32_t* minhash,
                                     const HashFunctions& functions) {
  for (std::size_t s = 0; s < count; ++s) {
    std::uint64_t hash = hashes[s];
    for (std::size_t i = 0; i < minhash_size; ++i) {
      auto value = static_cast<std::uint32_t>((functions.multiply[i] * hash + functions.add[i]) >> 32);
      minhash[i] = std::min(minhash[i], value);
    }
  }
}

// Hashes shingles with XXH3 and folds them into the signature in batches.
class ShingleSink {
 public:
  ShingleSink(std::array<std::uint32_t, minhash_size>& minhash, const HashFunctions& functions)
      : minhash_(minhash), functions_(functions) {}
  ShingleSink(const ShingleSink&) = delete;
  ShingleSink& operator=(const ShingleSink&) = delete;
  ~ShingleSink() { flush(); }

  void add(std::string_view shingle) {
    hashes_[count_++] = XXH3_64bits_withSeed(shingle.data(), shingle.size(), shingle_seed);
    if (count_ == hashes_.size()) flush();
  }
  void flush() {
    add_hashes(hashes_.data(), count_, minhash_.data(), functions_);
    count_ = 0;
  }

 private:
  std::array<std::uint32_t, minhash_size>& minhash_;
  const HashFunctions& functions_;
  std::array<std::uint64_t, 128> hashes_{};
  std::size_t count_ = 0;
};

}  // namespace

double estimated_jaccard(const Fingerprint& a, const Fingerprint& b) {
  if (a.empty || b.empty || a.algorithm != b.algorithm) return 0.0;
  std::size_t equal = 0;
  for (std::size_t i = 0; i < minhash_size; ++i) equal += a.minhash[i] == b.minhash[i] ? 1U : 0U;
  return static_cast<double>(equal) / static_cast<double>(minhash_size);
}

namespace detail {

Fingerprint fingerprint_text(std::string_view text, std::size_t shingle_size) {
  Fingerprint fingerprint;
  auto tokens = token_ranges(text);
  fingerprint.token_count = static_cast<std::uint32_t>(tokens.size());
  fingerprint.skeleton_hash = XXH3_64bits(text.data(), text.size());
  if (tokens.size() < min_fingerprint_tokens) return fingerprint;

  fingerprint.minhash.fill(std::numeric_limits<std::uint32_t>::max());
  {
    ShingleSink sink(fingerprint.minhash, hash_functions());
    std::size_t size = std::max<std::size_t>(1, std::min(shingle_size, tokens.size()));
    for (std::size_t i = 0; i + size <= tokens.size(); ++i) {
      std::size_t begin = tokens[i].first;
      std::size_t end = tokens[i + size - 1].second;
      sink.add(text.substr(begin, end - begin));
    }
    // Very short texts: single words too, so that one changed word does not
    // change most of the few shingles.
    if (size > 1 && tokens.size() < 4 * size) {
      for (const auto& [begin, end] : tokens) sink.add(text.substr(begin, end - begin));
    }
  }
  for (std::size_t band = 0; band < lsh_bands; ++band) {
    fingerprint.band_keys[band] =
        XXH3_64bits_withSeed(&fingerprint.minhash[band * band_rows], band_rows * sizeof(std::uint32_t), band);
  }
  fingerprint.empty = false;
  return fingerprint;
}

}  // namespace detail

Fingerprint fingerprint_text(std::string_view normalised_text) {
  return detail::fingerprint_text(normalised_text, shingle_words);
}

}  // namespace pushback::scoring
