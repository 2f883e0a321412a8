// The template fingerprint of a message's new text: a MinHash signature over
// word shingles, LSH band keys to find candidate clusters, and an exact
// skeleton hash. Stored with an algorithm id so that stored data stays
// comparable across upgrades.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pushback::scoring {

// Bumped whenever normalisation, shingling or hashing changes: fingerprints of
// different algorithm ids are never compared.
inline constexpr std::uint16_t fingerprint_algorithm = 1;

inline constexpr std::size_t minhash_size = 64;   // values per signature
inline constexpr std::size_t lsh_bands = 16;      // bands of minhash_size / lsh_bands rows
inline constexpr std::size_t shingle_words = 2;   // words per shingle (chosen by bench/template_eval)
inline constexpr std::size_t min_fingerprint_tokens = 3;  // fewer words give an empty fingerprint

struct Fingerprint {
  std::uint16_t algorithm = fingerprint_algorithm;
  bool empty = true;                   // too little text to fingerprint
  std::uint32_t token_count = 0;       // words in the normalised new text
  std::array<std::uint32_t, minhash_size> minhash{};
  std::array<std::uint64_t, lsh_bands> band_keys{};  // one key per band, for lookup
  std::uint64_t skeleton_hash = 0;     // exact hash of the normalised new text
};

// Fraction of equal MinHash values: an estimate of the Jaccard similarity of
// the two shingle sets. 0 when either is empty or the algorithms differ.
double estimated_jaccard(const Fingerprint& a, const Fingerprint& b);

// Builds the fingerprint of normalised, masked text (tokens separated by single spaces).
Fingerprint fingerprint_text(std::string_view normalised_text);

namespace detail {
// The same with another shingle size, to measure the choice of shingle_words.
Fingerprint fingerprint_text(std::string_view normalised_text, std::size_t shingle_size);

// The MinHash update has one implementation per instruction set, picked by
// the CPU at run time; servers sharing one store may pick different ones.
// Folds `hashes` into `minhash` with the named one ("default", "avx2",
// "x86-64-v4"); false when this CPU or build does not have it.
bool minhash_update_with(std::string_view variant, const std::vector<std::uint64_t>& hashes,
                         std::array<std::uint32_t, minhash_size>& minhash);
}  // namespace detail

}  // namespace pushback::scoring
