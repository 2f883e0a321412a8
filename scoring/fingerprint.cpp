// MinHash over word shingles. Each shingle is hashed once with XXH3; the 64
// MinHash functions are multiply-shift hashes of that value, seeded from XXH3.
#include "scoring/fingerprint.hpp"

#include <xxhash.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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
  // The same in the layout of add_hashes_avx2(), by blocks of 8 functions:
  // the low and high 32 bits of each multiplier, the low halves of the odd
  // functions of a block moved to the even places, and the addends of the
  // even and of the odd functions of a block.
  alignas(32) std::array<std::uint32_t, minhash_size> low{};
  alignas(32) std::array<std::uint32_t, minhash_size> high{};
  alignas(32) std::array<std::uint32_t, minhash_size> low_odd{};
  alignas(32) std::array<std::uint64_t, minhash_size / 2> add_even{};
  alignas(32) std::array<std::uint64_t, minhash_size / 2> add_odd{};
};

// Constant for the life of the process; derived, not configured.
const HashFunctions& hash_functions() {
  static const HashFunctions functions = [] {
    HashFunctions out;
    for (std::uint64_t i = 0; i < minhash_size; ++i) {
      out.multiply[i] = XXH3_64bits_withSeed(&i, sizeof i, shingle_seed + 1) | 1U;  // odd multipliers
      out.add[i] = XXH3_64bits_withSeed(&i, sizeof i, shingle_seed + 2);
      out.low[i] = static_cast<std::uint32_t>(out.multiply[i]);
      out.high[i] = static_cast<std::uint32_t>(out.multiply[i] >> 32);
    }
    for (std::size_t i = 0; i < minhash_size; i += 2) {
      out.low_odd[i] = out.low[i + 1];
      out.add_even[i / 2] = out.add[i];
      out.add_odd[i / 2] = out.add[i + 1];
    }
    return out;
  }();
  return functions;
}

// Calls each(begin, end) with the offsets of each token (run of bytes
// between spaces): shingles are byte ranges.
template <typename Each>
void for_each_token(std::string_view text, Each&& each) {
  const std::size_t size = text.size();
  std::size_t at = 0;
  while (true) {
    while (at < size && text[at] == ' ') ++at;
    if (at >= size) return;
    std::size_t begin = at;
    while (at < size && text[at] != ' ') ++at;
    each(begin, at);
  }
}

// The 64 values of each shingle hash folded into the signature.
[[gnu::always_inline]] inline void add_hashes_loop(const std::uint64_t* hashes, std::size_t count,
                                                   std::uint32_t* minhash, const HashFunctions& functions) {
  for (std::size_t s = 0; s < count; ++s) {
    std::uint64_t hash = hashes[s];
    for (std::size_t i = 0; i < minhash_size; ++i) {
      auto value = static_cast<std::uint32_t>((functions.multiply[i] * hash + functions.add[i]) >> 32);
      minhash[i] = std::min(minhash[i], value);
    }
  }
}

void add_hashes_default(const std::uint64_t* hashes, std::size_t count, std::uint32_t* minhash,
                        const HashFunctions& functions) {
  add_hashes_loop(hashes, count, minhash, functions);
}

#if defined(__x86_64__)
// With AVX-512 (x86-64-v4) the loop vectorises as written: 64-bit multiplies
// in one instruction.
[[gnu::target("arch=x86-64-v4")]] void add_hashes_v4(const std::uint64_t* hashes, std::size_t count,
                                                     std::uint32_t* minhash, const HashFunctions& functions) {
  add_hashes_loop(hashes, count, minhash, functions);
}

// AVX2 has no 64-bit multiply, and the compiler's emulation of it costs
// twice what is needed: only bits 32 to 63 of multiply * hash + add are
// kept, which are the high half of low(multiply) * low(hash) + add plus,
// modulo 2^32, low(multiply) * high(hash) + high(multiply) * low(hash).
// Eight functions at a time; the same values as the loop.
[[gnu::target("avx2")]] void add_hashes_avx2(const std::uint64_t* hashes, std::size_t count, std::uint32_t* minhash,
                                             const HashFunctions& functions) {
  constexpr std::size_t blocks = minhash_size / 8;
  const auto* low = reinterpret_cast<const __m256i*>(functions.low.data());
  const auto* high = reinterpret_cast<const __m256i*>(functions.high.data());
  const auto* low_odd = reinterpret_cast<const __m256i*>(functions.low_odd.data());
  const auto* add_even = reinterpret_cast<const __m256i*>(functions.add_even.data());
  const auto* add_odd = reinterpret_cast<const __m256i*>(functions.add_odd.data());
  __m256i least[blocks];
  for (std::size_t b = 0; b < blocks; ++b) {
    least[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(minhash + 8 * b));
  }
  for (std::size_t s = 0; s < count; ++s) {
    std::uint64_t hash = hashes[s];
    __m256i hash64 = _mm256_set1_epi64x(static_cast<long long>(hash));
    __m256i hash_low = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(hash)));
    __m256i hash_high = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(hash >> 32)));
    for (std::size_t b = 0; b < blocks; ++b) {
      __m256i even = _mm256_add_epi64(_mm256_mul_epu32(low[b], hash64), add_even[b]);
      __m256i odd = _mm256_add_epi64(_mm256_mul_epu32(low_odd[b], hash64), add_odd[b]);
      __m256i carried = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
      __m256i cross = _mm256_add_epi32(_mm256_mullo_epi32(low[b], hash_high), _mm256_mullo_epi32(high[b], hash_low));
      least[b] = _mm256_min_epu32(least[b], _mm256_add_epi32(carried, cross));
    }
  }
  for (std::size_t b = 0; b < blocks; ++b) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(minhash + 8 * b), least[b]);
  }
}
#endif

using AddHashes = void (*)(const std::uint64_t*, std::size_t, std::uint32_t*, const HashFunctions&);

// Chosen once by what the CPU has. A plain check rather than an ifunc
// resolver, which the loader runs before ThreadSanitizer is set up.
#if defined(__x86_64__)
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

// The AVX-512 subsets that make x86-64-v4 (a name older compilers do not take
// here), with what x86-64-v3 adds to AVX2.
bool cpu_has_x86_64_v4() {
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}
#endif

AddHashes add_hashes() {
  static const AddHashes chosen = [] {
#if defined(__x86_64__)
    if (cpu_has_x86_64_v4()) return &add_hashes_v4;
    if (cpu_has_avx2()) return &add_hashes_avx2;
#endif
    return &add_hashes_default;
  }();
  return chosen;
}

// Hashes shingles with XXH3 and folds them into the signature in batches.
class ShingleSink {
 public:
  ShingleSink(std::array<std::uint32_t, minhash_size>& minhash, const HashFunctions& functions)
      : minhash_(minhash), functions_(functions), add_hashes_(add_hashes()) {}
  ShingleSink(const ShingleSink&) = delete;
  ShingleSink& operator=(const ShingleSink&) = delete;
  ~ShingleSink() { flush(); }

  void add(std::string_view shingle) {
    hashes_[count_++] = XXH3_64bits_withSeed(shingle.data(), shingle.size(), shingle_seed);
    if (count_ == hashes_.size()) flush();
  }
  void flush() {
    add_hashes_(hashes_.data(), count_, minhash_.data(), functions_);
    count_ = 0;
  }

 private:
  std::array<std::uint32_t, minhash_size>& minhash_;
  const HashFunctions& functions_;
  AddHashes add_hashes_;
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
  fingerprint.skeleton_hash = XXH3_64bits(text.data(), text.size());
  std::array<std::uint32_t, minhash_size> minhash;
  minhash.fill(std::numeric_limits<std::uint32_t>::max());
  const std::size_t size = std::max<std::size_t>(1, shingle_size);
  std::size_t count = 0;
  {
    ShingleSink sink(minhash, hash_functions());
    // Shingles as the tokens come, in one pass: where the last `size` tokens
    // begin, in a ring.
    std::array<std::size_t, 8> small_ring{};
    std::vector<std::size_t> large_ring(size > small_ring.size() ? size : 0);
    std::size_t* ring = size > small_ring.size() ? large_ring.data() : small_ring.data();
    std::size_t first_begin = 0;
    std::size_t last_end = 0;
    for_each_token(text, [&](std::size_t begin, std::size_t end) {
      if (count == 0) first_begin = begin;
      last_end = end;
      ring[count % size] = begin;
      ++count;
      if (count >= size) {
        std::size_t from = ring[count % size];  // the token `size` back
        sink.add(text.substr(from, end - from));
      }
    });
    if (count >= min_fingerprint_tokens) {
      // Fewer tokens than a shingle: the one shingle is the whole text.
      std::size_t used = std::min(size, count);
      if (count < size) sink.add(text.substr(first_begin, last_end - first_begin));
      // Very short texts: single words too, so that one changed word does not
      // change most of the few shingles.
      if (used > 1 && count < 4 * used) {
        for_each_token(text, [&](std::size_t begin, std::size_t end) { sink.add(text.substr(begin, end - begin)); });
      }
    }
  }
  fingerprint.token_count = static_cast<std::uint32_t>(count);
  if (count < min_fingerprint_tokens) return fingerprint;
  fingerprint.minhash = minhash;
  for (std::size_t band = 0; band < lsh_bands; ++band) {
    fingerprint.band_keys[band] =
        XXH3_64bits_withSeed(&fingerprint.minhash[band * band_rows], band_rows * sizeof(std::uint32_t), band);
  }
  fingerprint.empty = false;
  return fingerprint;
}

bool minhash_update_with(std::string_view variant, const std::vector<std::uint64_t>& hashes,
                         std::array<std::uint32_t, minhash_size>& minhash) {
  AddHashes update = nullptr;
  if (variant == "default") update = &add_hashes_default;
#if defined(__x86_64__)
  if (variant == "avx2" && cpu_has_avx2()) update = &add_hashes_avx2;
  if (variant == "x86-64-v4" && cpu_has_x86_64_v4()) update = &add_hashes_v4;
#endif
  if (update == nullptr) return false;
  update(hashes.data(), hashes.size(), minhash.data(), hash_functions());
  return true;
}

}  // namespace detail

Fingerprint fingerprint_text(std::string_view normalised_text) {
  return detail::fingerprint_text(normalised_text, shingle_words);
}

}  // namespace pushback::scoring
