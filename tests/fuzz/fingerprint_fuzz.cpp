// Fuzz target: MinHash fingerprints. The bytes are fingerprinted as given
// (the function's input is normalised text, but it must take anything) and
// after normalisation; a fingerprint is deterministic and fully similar to
// itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scoring/fingerprint.hpp"
#include "scoring/normalise.hpp"
#include "scoring/personalisation.hpp"

namespace {

void check(std::string_view text) {
  using namespace pushback::scoring;
  Fingerprint a = fingerprint_text(text);
  Fingerprint b = fingerprint_text(text);
  if (a.empty != b.empty || a.minhash != b.minhash || a.band_keys != b.band_keys ||
      a.skeleton_hash != b.skeleton_hash) {
    __builtin_trap();
  }
  if (!a.empty && estimated_jaccard(a, b) != 1.0) __builtin_trap();
  if (a.empty && estimated_jaccard(a, b) != 0.0) __builtin_trap();
  for (std::size_t shingle = 1; shingle <= 4; ++shingle) detail::fingerprint_text(text, shingle);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pushback::scoring;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input);
  check(normalise_text(input, Personalisation{}, 4096).text);
  return 0;
}
